/* rp_assets: the stylesheet and script inlined into every index.html.
 *
 * Owns nothing but two strings, generated into rp_assets.c by
 * reports/gen_assets.py from reports/assets/report.css and report.js (edit
 * those, then rerun the script). */
#ifndef RP_ASSETS_H
#define RP_ASSETS_H

extern const char rp_asset_css[];
extern const char rp_asset_js[];

#endif
