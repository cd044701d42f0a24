// Opens a wsprobe index.html in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) and checks it the way a reader would use it.
// Prints one JSON object: {"checks": [{"name", "ok", "detail"}...]}; the
// integration tests (tests/integration/test_report_*.py) turn them into results.
//
//   node check_report.js --html DIR/index.html --json DIR/report.json
//        [--shot FILE.png] [--bypass-csp] [--open-all] [--width 1280]
//
// Checks: the page renders with no console error, no page error and no
// network request (only the file itself is loaded); for check reports the
// summary matrix equals the JSON's counts, "Failed only" shows exactly the
// failed cases, search and section filters work, a case opens with its wire
// log; for load reports the charts are drawn. window.__pwned must
// stay unset: hostile servers' payloads try to set it.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

function args() {
  const a = { width: 1280 };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    const k = v[i];
    if (k === '--bypass-csp') a.bypassCsp = true;
    else if (k === '--open-all') a.openAll = true;
    else a[k.replace(/^--/, '')] = v[++i];
  }
  return a;
}

const checks = [];
function check(name, ok, detail) {
  checks.push({ name, ok: !!ok, detail: ok ? '' : String(detail === undefined ? '' : detail) });
}

async function main() {
  const a = args();
  const report = JSON.parse(fs.readFileSync(a.json, 'utf8'));
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsprobe-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    bypassCSP: !!a.bypassCsp,
    viewport: { width: Number(a.width), height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-extensions'],
  });
  const errors = [];
  const requests = [];
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    const url = 'file://' + path.resolve(a.html);
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.type() + ': ' + m.text()); });
    page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
    page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
    // Anything that tries to leave the page is refused, and recorded above.
    await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    await page.waitForSelector('body[data-rendered]', { timeout: 20000 });
    const kind = await page.getAttribute('body', 'data-rendered');
    check('page rendered as ' + report.kind, kind === report.kind, kind);
    check('title names the target', (await page.title()).includes(report.target), await page.title());

    if (report.kind === 'check') await checkReport(page, report, a);
    else await loadReport(page, report);

    if (a.openAll) {
      // Every case's details, wire log and handshake are rendered, so every
      // server string has reached the DOM.
      const n = await page.$$eval('tr.case', (rows) => { rows.forEach((r) => { if (!r.classList.contains('open')) r.click(); }); return rows.length; });
      check('opened every case (' + n + ')', n === (report.cases || []).length, n);
    }
    const pwned = await page.evaluate(() => window.__pwned);
    check('no script from the report ran', pwned === undefined, pwned);
    const foreign = await page.evaluate(() => ({
      scripts: document.querySelectorAll('script').length,
      imgs: document.querySelectorAll('img, iframe, object, embed').length,
      handlers: Array.from(document.querySelectorAll('*')).filter((e) => Array.from(e.attributes).some((x) => /^on/i.test(x.name))).length,
    }));
    check('no element or handler came from the data', foreign.scripts === 2 && foreign.imgs === 0 && foreign.handlers === 0, JSON.stringify(foreign));
    if (a.shot) {
      fs.mkdirSync(path.dirname(path.resolve(a.shot)), { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: a.shot, fullPage: !!a.full });
      check('screenshot saved', fs.statSync(a.shot).size > 1000);
    }
  } finally {
    check('no console errors or warnings', errors.length === 0, errors.slice(0, 5).join(' | '));
    check('no network requests', requests.length === 0, requests.slice(0, 5).join(' '));
    await ctx.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

async function visibleIds(page) {
  return page.$$eval('#case-table tr.case', (rows) => rows.filter((r) => !r.classList.contains('hidden') && r.offsetParent !== null)
    .map((r) => r.querySelector('td.id').textContent));
}

async function setFilter(page, sel, value) {
  if (typeof value === 'boolean') await page.setChecked(sel, value);
  else if (sel.startsWith('select')) await page.selectOption(sel, value);
  else await page.fill(sel, value);
}

async function checkReport(page, report, a) {
  const verdicts = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED'];
  const cells = await page.$$eval('#summary-matrix td.v', (tds) => tds.map((td) => ({
    section: td.getAttribute('data-section'), verdict: td.getAttribute('data-verdict'), n: Number(td.textContent) })));
  const want = [];
  for (const s of report.summary.sections) {
    for (const v of verdicts) want.push({ section: s.section, verdict: v, n: s[v] });
    want.push({ section: s.section, verdict: 'CLOSE-FAILED', n: s.close_failed });
  }
  for (const v of verdicts) want.push({ section: '', verdict: v, n: report.summary[v] });
  want.push({ section: '', verdict: 'CLOSE-FAILED', n: report.summary.close_failed });
  const key = (c) => c.section + '|' + c.verdict + '=' + c.n;
  const got = cells.map(key).sort().join(' ');
  check('summary matrix equals the JSON summary (' + want.length + ' cells)', got === want.map(key).sort().join(' '),
    'page: ' + got.slice(0, 300) + ' json: ' + want.map(key).sort().join(' ').slice(0, 300));
  // Independently of the producer's summary: count from the cases.
  const fromCases = {};
  for (const c of report.cases) fromCases[c.verdict] = (fromCases[c.verdict] || 0) + 1;
  check('JSON summary equals its cases', verdicts.every((v) => (fromCases[v] || 0) === report.summary[v]), JSON.stringify(fromCases));

  const all = await visibleIds(page);
  check('every case is listed', all.length === report.cases.length, all.length + ' of ' + report.cases.length);
  await setFilter(page, '#f-failed', true);
  const failed = report.cases.filter((c) => c.verdict === 'FAILED' || c.close_verdict === 'FAILED').map((c) => c.id);
  const shown = await visibleIds(page);
  check('"Failed only" shows exactly the ' + failed.length + ' failed cases', shown.join(' ') === failed.join(' '),
    'shown: ' + shown.join(' ').slice(0, 300) + ' failed: ' + failed.join(' ').slice(0, 300));
  const countText = await page.textContent('#f-count');
  check('the count line agrees', countText.includes('showing ' + failed.length + ' of ' + report.cases.length), countText);
  await setFilter(page, '#f-failed', false);

  const sec = report.summary.sections[report.summary.sections.length - 1].section;
  await setFilter(page, 'select#f-section', sec);
  const inSec = report.cases.filter((c) => c.section === sec).map((c) => c.id);
  check('section filter shows section ' + sec, (await visibleIds(page)).join(' ') === inSec.join(' '));
  await setFilter(page, 'select#f-section', '');

  const target = report.cases[report.cases.length - 1];
  await setFilter(page, '#f-text', target.title);
  const hits = await visibleIds(page);
  const expectHits = report.cases.filter((c) => (c.id + ' ' + c.title + ' ' + c.rfc + ' ' + c.reason + ' ' + c.close_reason).toLowerCase().includes(target.title.toLowerCase())).map((c) => c.id);
  check('text search finds "' + target.title + '"', hits.join(' ') === expectHits.join(' ') && hits.includes(target.id), hits.join(' '));
  await page.click('#f-reset');

  // Clicking a summary cell filters on it.
  const cell = report.summary.sections[0];
  const v0 = verdicts.find((v) => cell[v] > 0);
  await page.click('#summary-matrix td.v[data-section="' + cell.section + '"][data-verdict="' + v0 + '"]');
  const viaCell = await visibleIds(page);
  check('a summary cell lists its ' + cell[v0] + ' cases', viaCell.length === cell[v0], viaCell.length);
  await page.click('#f-reset');

  // Open the first failed case (or the first case) and look at its details.
  const c = report.cases.find((x) => x.verdict === 'FAILED') || report.cases[0];
  await page.click('#case-table tr.case[id="case-' + c.id + '"]');
  const det = await page.$eval('#case-table tr.case.open + tr.detail', (tr) => ({
    wire: tr.querySelectorAll('table.wire tbody tr').length, text: tr.textContent }));
  check('case ' + c.id + ' shows its ' + c.wire.length + ' wire log entries', det.wire === c.wire.length, det.wire);
  check('case ' + c.id + ' shows its reason and observed events',
    det.text.includes(c.reason) && c.observed.every((o) => det.text.includes(o)), det.text.slice(0, 300));
  if (!a.openAll) await page.click('#case-table tr.case[id="case-' + c.id + '"]');
  if (failed.length && !a.openAll) await setFilter(page, '#f-failed', true);
}

async function loadReport(page, report) {
  const figs = await page.$$eval('figure.chart', (f) => f.map((x) => ({
    title: x.querySelector('figcaption').textContent, marks: x.querySelectorAll('svg path.line, svg rect').length })));
  const need = ['Throughput', 'Latency percentiles', 'Open connections', 'Latency distribution'];
  for (const n of need) {
    const f = figs.find((x) => x.title.startsWith(n));
    check('chart "' + n + '" drawn', f && f.marks > 0, JSON.stringify(f));
  }
  const sent = await page.$eval('#load-cards .card .value', (e) => e.textContent);
  const want = Number(report.summary.rate.sent_per_s).toLocaleString('en-US', { maximumFractionDigits: 0 });
  check('sent/s card equals the JSON (' + want + ')', sent === want, sent);
  const rows = await page.$$eval('#latency-table tbody tr', (r) => r.length);
  const lat = report.summary.latency;
  const nonEmpty = ['corrected', 'uncorrected', 'connect', 'tls', 'upgrade'].filter((k) => lat[k] && lat[k].count > 0).length;
  check('latency table has a row per measured histogram', rows === nonEmpty, rows + ' vs ' + nonEmpty);
}

main().then(() => {
  process.stdout.write(JSON.stringify({ checks }) + '\n');
}).catch((e) => {
  checks.push({ name: 'browser run', ok: false, detail: String(e && e.stack || e) });
  process.stdout.write(JSON.stringify({ checks }) + '\n');
  process.exitCode = 1;
});
