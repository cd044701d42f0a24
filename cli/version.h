/* The one place the version lives. */
#ifndef WSPROBE_VERSION_H
#define WSPROBE_VERSION_H
#define WSPROBE_VERSION "0.1.0"
#endif
