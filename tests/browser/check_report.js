// Opens a wsprobe index.html in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) and checks it the way a reader would use it.
// Prints one JSON object: {"checks": [{"name", "ok", "detail"}...]}; the
// integration tests (tests/integration/test_report_*.py) turn them into results.
//
//   node check_report.js --html DIR/index.html --json DIR/report.json
//        [--json MORE.json]... [--shot FILE.png] [--bypass-csp] [--open-all]
//        [--expect-truncated] [--expect-omitted] [--width 1280]
//
// The page's kind follows from the JSON given: a check or load report.json,
// a diff.json (`wsprobe report --diff -o`), or several check report.json
// files in order (the page of `wsprobe report --compare`).
//
// Checks on every page: it renders with no console error, no page error and
// no network request (only the file itself is loaded); window.__pwned stays
// unset (hostile servers' payloads try to set it) and no element or event
// handler came from the data. Check reports: the summary matrix equals the
// JSON's counts, "Failed only" shows exactly the failed cases, search and
// section filters work, a case opens with its steps, events and wire log,
// and a truncated case says so. Load reports: each chart is drawn, the
// throughput and connection lines have a point per second of the series,
// the latency distribution's bars add up to the histogram's count. Compare:
// a column per report, each cell the verdict that report gave, "only where
// servers differ" and "failed somewhere" show exactly those cases. Diff: a
// row per change in diff.json's order with its category and verdicts, and
// the summary counts.
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
    else if (k === '--expect-truncated') a.expectTruncated = true;
    else if (k === '--expect-omitted') a.expectOmitted = true;
    else if (k === '--json') (a.json = a.json || []).push(v[++i]);
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
  const docs = a.json.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  const report = docs[0];
  const kind = docs.length > 1 ? 'compare' : report.kind;
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
    const rendered = await page.getAttribute('body', 'data-rendered');
    check('page rendered as ' + kind, rendered === kind, rendered);
    const title = await page.title();
    const want = kind === 'compare' ? docs.length + ' servers side by side' : kind === 'diff' ? report.new.target : report.target;
    check('title says "' + want + '"', title.includes(want), title);

    if (kind === 'check') await checkReport(page, report, a);
    else if (kind === 'load') await loadReport(page, report);
    else if (kind === 'compare') await comparePage(page, docs);
    else await diffPage(page, report);

    if (a.openAll && kind === 'check') {
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
  const det = await openCase(page, c);
  check('case ' + c.id + ' shows its ' + c.wire.length + ' wire log entries', det.wire === c.wire.length, det.wire);
  check('case ' + c.id + ' shows its reason and observed events',
    det.text.includes(c.reason) && c.observed.every((o) => det.text.includes(o)), det.text.slice(0, 300));
  check('case ' + c.id + ' has steps in the JSON', Array.isArray(c.steps) && c.steps.length > 0, JSON.stringify(c.steps));
  check('case ' + c.id + ' shows its ' + (c.steps || []).length + ' steps, in order',
    JSON.stringify(det.steps) === JSON.stringify(c.steps), JSON.stringify(det.steps).slice(0, 300));
  await closeCase(page, c, a);

  // A case whose wire log or event list was cut says so on the page.
  const cuts = [['wire_truncated', (n) => 'wire log truncated: ' + n + ' entries dropped'],
    ['observed_truncated', (n) => n + ' more events not kept']];
  for (const [field, words] of cuts) {
    const cut = report.cases.find((x) => x[field] > 0);
    if (a.expectTruncated) check('the report has a case with ' + field + ' > 0', !!cut);
    if (!cut) continue;
    const d = await openCase(page, cut);
    const note = words(cut[field]);
    check('case ' + cut.id + ' says "' + note + '"', d.notes.includes(note), JSON.stringify(d.notes));
    await closeCase(page, cut, a);
  }
  // A case whose wire log was left out (--wire-logs) says so, with no table.
  const omitted = report.cases.find((x) => x.wire_omitted);
  if (a.expectOmitted) check('the report has a case with wire_omitted', !!omitted);
  if (omitted) {
    const d = await openCase(page, omitted);
    check('case ' + omitted.id + ' says its wire log was not kept',
      d.wire === 0 && d.notes.some((n) => n.startsWith('(not kept')), JSON.stringify(d.notes));
    await closeCase(page, omitted, a);
  }
  if (failed.length && !a.openAll) await setFilter(page, '#f-failed', true);
}

// Opens a case's details (with every filter reset so its row is visible).
async function openCase(page, c) {
  await page.click('#f-reset');
  const row = '#case-table tr.case[id="case-' + c.id + '"]';
  if (!(await page.$eval(row, (tr) => tr.classList.contains('open')))) await page.click(row);
  return page.$eval(row + ' + tr.detail', (tr) => {
    const h = Array.from(tr.querySelectorAll('h3')).find((x) => x.textContent === 'Steps');
    const list = h && h.nextElementSibling && h.nextElementSibling.matches('ol.events') ? h.nextElementSibling : null;
    return {
      wire: tr.querySelectorAll('table.wire tbody tr').length,
      text: tr.textContent,
      steps: list ? Array.from(list.querySelectorAll('li')).map((li) => li.textContent) : null,
      notes: Array.from(tr.querySelectorAll('p.note')).map((p) => p.textContent),
    };
  });
}

async function closeCase(page, c, a) {
  if (!a.openAll) await page.click('#case-table tr.case[id="case-' + c.id + '"]');
}

// The commands of an SVG path: one M or L per point.
function pathPoints(d) {
  return (d.match(/[ML]/g) || []).length;
}

async function loadReport(page, report) {
  const figs = await page.$$eval('figure.chart', (f) => f.map((x) => ({
    title: x.querySelector('figcaption').textContent,
    paths: Array.from(x.querySelectorAll('svg path.line')).map((p) => p.getAttribute('d')),
    bars: Array.from(x.querySelectorAll('svg rect')).map((r) => (r.querySelector('title') || {}).textContent || ''),
  })));
  const need = ['Throughput', 'Latency percentiles', 'Open connections', 'Latency distribution'];
  const fig = {};
  for (const n of need) {
    fig[n] = figs.find((x) => x.title.startsWith(n));
    const f = fig[n];
    check('chart "' + n + '" drawn', f && f.paths.length + f.bars.length > 0, JSON.stringify(f).slice(0, 200));
  }
  const n = (report.series || []).length;
  const thr = fig.Throughput || { paths: [] };
  check('throughput chart: sent/s and received/s lines, each with a point per second of the series (' + n + ')',
    n > 0 && thr.paths.length === 2 && thr.paths.every((d) => pathPoints(d) === n), thr.paths.map(pathPoints).join(','));
  const open = fig['Open connections'] || { paths: [] };
  check('open connections chart: a point per second of the series',
    open.paths.length === 1 && pathPoints(open.paths[0]) === n, open.paths.map(pathPoints).join(','));
  const dist = fig['Latency distribution'] || { bars: [] };
  const counts = dist.bars.map((t) => { const m = /: ([0-9,]+) messages$/.exec(t); return m ? Number(m[1].replace(/,/g, '')) : NaN; });
  const sum = counts.reduce((x, y) => x + y, 0);
  const want = report.histograms.latency.count;
  check('latency distribution: the bars add up to histograms.latency.count (' + want + ')',
    want > 0 && sum === want && counts.every((x) => x > 0), sum + ' in ' + counts.length + ' bars');
  const sent = await page.$eval('#load-cards .card .value', (e) => e.textContent);
  const wantSent = Number(report.summary.rate.sent_per_s).toLocaleString('en-US', { maximumFractionDigits: 0 });
  check('sent/s card equals the JSON (' + wantSent + ')', sent === wantSent, sent);
  const rows = await page.$$eval('#latency-table tbody tr', (r) => r.length);
  const lat = report.summary.latency;
  const nonEmpty = ['corrected', 'uncorrected', 'send_lag', 'connect', 'tls', 'upgrade'].filter((k) => lat[k] && lat[k].count > 0).length;
  check('latency table has a row per measured histogram', rows === nonEmpty, rows + ' vs ' + nonEmpty);
}

// The page of `wsprobe report --compare`, against the reports it was made from.
async function comparePage(page, reports) {
  const agents = reports.map((r) => r.agent || r.target);
  const head = await page.$$eval('#compare-table thead th', (t) => t.map((x) => x.textContent));
  check('a column per report, headed by its agent', JSON.stringify(head) === JSON.stringify(['Case', 'Title'].concat(agents)),
    JSON.stringify(head).slice(0, 300));
  const ids = [];
  for (const r of reports) for (const c of r.cases) if (!ids.includes(c.id)) ids.push(c.id);
  const rows = await page.$$eval('#compare-table tbody tr', (trs) => trs.map((tr) => ({
    id: tr.querySelector('td.id').textContent,
    cells: Array.from(tr.querySelectorAll('td.cell')).map((td) => {
      const b = td.querySelector('.badge');
      const note = Array.from(td.querySelectorAll('.note')).map((x) => x.textContent).join(' ');
      return b ? b.getAttribute('data-verdict') + (note ? ' ' + note : '') : note;
    }),
  })));
  check('a row per case of any report, in order (' + ids.length + ')', JSON.stringify(rows.map((x) => x.id)) === JSON.stringify(ids),
    rows.length + ' rows');
  const byId = reports.map((r) => Object.fromEntries(r.cases.map((c) => [c.id, c])));
  const cell = (c) => (c ? c.verdict + (c.close_verdict !== 'OK' ? ' close ' + c.close_verdict : '') : 'not run');
  const wrong = [];
  for (const row of rows) {
    const want = byId.map((m) => cell(m[row.id]));
    if (JSON.stringify(row.cells) !== JSON.stringify(want)) wrong.push(row.id + ': ' + row.cells.join('|') + ' != ' + want.join('|'));
  }
  check('every cell is the verdict (and closing verdict) its report gave (' + rows.length * reports.length + ' cells)',
    wrong.length === 0, wrong.slice(0, 5).join('; '));
  const differ = ids.filter((id) => new Set(byId.map((m) => (m[id] ? m[id].verdict + '/' + m[id].close_verdict : '-'))).size > 1);
  const failedSomewhere = ids.filter((id) => byId.some((m) => m[id] && (m[id].verdict === 'FAILED' || m[id].close_verdict === 'FAILED')));
  const shown = () => page.$$eval('#compare-table tbody tr:not(.hidden)', (t) => t.map((x) => x.querySelector('td.id').textContent));
  await page.setChecked('#f-differ', true);
  const d = await shown();
  check('"only where servers differ" shows exactly the ' + differ.length + ' cases whose verdicts differ',
    differ.length > 0 && JSON.stringify(d) === JSON.stringify(differ), 'shown ' + d.join(' ').slice(0, 200) + ' / want ' + differ.join(' ').slice(0, 200));
  await page.setChecked('#f-differ', false);
  await page.setChecked('#f-failed', true);
  const f = await shown();
  check('"failed somewhere" shows exactly the ' + failedSomewhere.length + ' cases failed in a report',
    JSON.stringify(f) === JSON.stringify(failedSomewhere), f.join(' ').slice(0, 200));
  await page.setChecked('#f-failed', false);
  const sums = await page.$$eval('#summary-matrix tbody tr', (trs) => trs.map((tr) =>
    Array.from(tr.querySelectorAll('td')).slice(1).map((td) => Number(td.textContent))));
  const wantSums = reports.map((r) => [r.cases.length].concat(['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED']
    .map((v) => r.cases.filter((c) => c.verdict === v).length), [r.cases.filter((c) => c.close_verdict === 'FAILED').length]));
  check('summary by server counts each report\'s cases', JSON.stringify(sums) === JSON.stringify(wantSums), JSON.stringify(sums));
}

// The page of `wsprobe report --diff OLD NEW -o DIR`, against DIR/diff.json.
async function diffPage(page, diff) {
  const rows = await page.$$eval('#diff-table tbody tr', (trs) => trs.map((tr) => {
    const td = tr.querySelectorAll('td');
    const v = (cell) => { const b = cell.querySelector('.badge'); return b ? b.getAttribute('data-verdict') : null; };
    return { change: tr.getAttribute('data-change'), id: td[1].textContent, before: v(td[3]), after: v(td[4]), why: td[5].textContent };
  }));
  const want = diff.changes.map((c) => ({ change: c.change, id: c.id, before: c.old ? c.old[0] : null, after: c.new ? c.new[0] : null,
    why: (c.new && c.new[2]) || (c.old && c.old[2]) || '' }));
  check('a row per change of diff.json, in its order (' + want.length + ')', want.length > 0 && rows.length === want.length,
    rows.length + ' rows');
  const wrong = rows.filter((r, i) => JSON.stringify(r) !== JSON.stringify(want[i]));
  check('each row: category, case, verdict before and after, reason', wrong.length === 0, JSON.stringify(wrong.slice(0, 3)).slice(0, 400));
  const names = ['newly failing', 'fixed', 'changed', 'added', 'removed'];
  const counts = await page.$$eval('#summary-matrix tbody td', (t) => t.map((x) => Number(x.textContent)));
  check('summary counts equal diff.json\'s', JSON.stringify(counts) === JSON.stringify(names.map((n) => diff.counts[n])), JSON.stringify(counts));
  for (const n of names) {
    const k = rows.filter((r) => r.change === n).length;
    check('"' + n + '": ' + diff.counts[n] + ' rows', k === diff.counts[n], k);
  }
  const status = await page.textContent('#status');
  check('the status line says whether a case newly fails',
    diff.counts['newly failing'] > 0 ? status.includes('REGRESSION') : status.includes('no case fails'), status);
}

main().then(() => {
  process.stdout.write(JSON.stringify({ checks }) + '\n');
}).catch((e) => {
  checks.push({ name: 'browser run', ok: false, detail: String(e && e.stack || e) });
  process.stdout.write(JSON.stringify({ checks }) + '\n');
  process.exitCode = 1;
});
