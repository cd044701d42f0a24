/* wsprobe report: renders the JSON embedded in this page (#wsprobe-data).
   Every string from the report reaches the page through textContent or an
   attribute set by setAttribute, never through innerHTML, so nothing a server
   put in a header, a close reason or a payload can become markup. */
'use strict';
(function () {
  var VERDICTS = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED'];
  var GLYPH = { 'OK': '\u2713', 'NON-STRICT': '\u2248', 'INFORMATIONAL': 'i',
    'UNIMPLEMENTED': '\u2205', 'FAILED': '\u2717', 'CLOSE-FAILED': '\u2717' };
  var SVGNS = 'http://www.w3.org/2000/svg';
  /* Okabe-Ito: distinguishable with protanopia, deuteranopia and tritanopia. */
  var PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'cls') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (k) {
      if (k === null || k === undefined) return;
      e.appendChild(typeof k === 'string' ? document.createTextNode(k) : k);
    });
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function badge(v, small) {
    return el('span', { cls: 'badge v-' + v + (small ? ' small' : ''), 'data-verdict': v }, [
      el('span', { cls: 'glyph', 'aria-hidden': 'true', text: GLYPH[v] || '?' }), v]);
  }
  function fmtNum(x, digits) {
    if (x === null || x === undefined || !isFinite(x)) return '\u2013';
    return Number(x).toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 0 : digits });
  }
  function fmtUs(us) {
    if (!isFinite(us)) return '\u2013';
    if (us >= 1e6) return fmtNum(us / 1e6, 2) + ' s';
    if (us >= 1e3) return fmtNum(us / 1e3, 2) + ' ms';
    return fmtNum(us, 1) + ' \u00b5s';
  }
  function section(id, title) {
    var s = el('section', { id: id }, [el('h2', { text: title })]);
    document.querySelector('main').appendChild(s);
    return s;
  }
  function caseFailed(c) { return c.verdict === 'FAILED' || c.close_verdict === 'FAILED'; }

  /* ---------------- check reports ---------------- */

  function renderCheck(r) {
    var sec = section('cases', 'Cases');
    var search = el('input', { type: 'search', id: 'f-text', placeholder: 'Search id, title, reason\u2026', 'aria-label': 'search cases' });
    var failed = el('input', { type: 'checkbox', id: 'f-failed' });
    var selSection = el('select', { id: 'f-section', 'aria-label': 'section' }, [el('option', { value: '', text: 'All sections' })]);
    (r.summary.sections || []).forEach(function (s) {
      selSection.appendChild(el('option', { value: s.section, text: s.section + ' \u00b7 ' + s.title }));
    });
    var selVerdict = el('select', { id: 'f-verdict', 'aria-label': 'verdict' }, [el('option', { value: '', text: 'All verdicts' })]);
    VERDICTS.forEach(function (v) { selVerdict.appendChild(el('option', { value: v, text: GLYPH[v] + ' ' + v })); });
    selVerdict.appendChild(el('option', { value: 'CLOSE-FAILED', text: GLYPH['CLOSE-FAILED'] + ' closing FAILED' }));
    var reset = el('button', { type: 'button', id: 'f-reset', text: 'Reset' });
    var count = el('span', { cls: 'count', id: 'f-count' });
    sec.appendChild(el('div', { cls: 'toolbar' }, [
      el('label', null, [failed, ' Failed only']), selSection, selVerdict, search, reset, count]));

    var tbody = el('tbody');
    var table = el('table', { cls: 'cases', id: 'case-table' }, [
      el('thead', null, [el('tr', null, ['Case', 'Title', 'Verdict', 'Closing', 'Time', 'Reason'].map(function (h) { return el('th', { text: h }); }))]),
      tbody]);
    sec.appendChild(table);
    var rows = r.cases.map(function (c, i) {
      var why = c.reason || (c.close_verdict !== 'OK' ? c.close_reason : '');
      var tr = el('tr', { cls: 'case', id: 'case-' + c.id, 'data-index': String(i), 'data-verdict': c.verdict,
        'data-close-verdict': c.close_verdict, 'data-section': c.section, 'data-failed': caseFailed(c) ? '1' : '0',
        tabindex: '0' }, [
        el('td', { cls: 'id', text: c.id }),
        el('td', null, [c.title, c.expected_failure ? el('span', { cls: 'note', text: '  (known failure)' }) : null]),
        el('td', null, [badge(c.verdict)]),
        el('td', null, [badge(c.close_verdict, true)]),
        el('td', { cls: 'dur', text: fmtNum(c.duration_ms) + ' ms' }),
        el('td', { cls: 'why', text: why })]);
      tbody.appendChild(tr);
      var hay = (c.id + ' ' + c.title + ' ' + c.rfc + ' ' + c.reason + ' ' + c.close_reason).toLowerCase();
      return { tr: tr, c: c, hay: hay, detail: null };
    });

    function toggle(row) {
      if (row.detail) {
        row.detail.remove(); row.detail = null; row.tr.classList.remove('open'); return;
      }
      row.detail = el('tr', { cls: 'detail' }, [el('td', { colspan: '6' }, [caseDetail(row.c)])]);
      row.tr.after(row.detail);
      row.tr.classList.add('open');
    }
    rows.forEach(function (row) {
      row.tr.addEventListener('click', function () { toggle(row); });
      row.tr.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); toggle(row); } });
    });

    function apply() {
      var q = search.value.trim().toLowerCase(), s = selSection.value, v = selVerdict.value, shown = 0;
      rows.forEach(function (row) {
        var c = row.c;
        var ok = (!failed.checked || caseFailed(c)) && (!s || c.section === s) &&
          (!v || (v === 'CLOSE-FAILED' ? c.close_verdict === 'FAILED' : c.verdict === v)) &&
          (!q || row.hay.indexOf(q) >= 0);
        row.tr.classList.toggle('hidden', !ok);
        if (row.detail) row.detail.classList.toggle('hidden', !ok);
        if (ok) shown++;
      });
      count.textContent = 'showing ' + shown + ' of ' + rows.length + ' cases';
    }
    [search, failed, selSection, selVerdict].forEach(function (c) {
      c.addEventListener('input', apply); c.addEventListener('change', apply);
    });
    reset.addEventListener('click', function () {
      search.value = ''; failed.checked = false; selSection.value = ''; selVerdict.value = ''; apply();
    });
    /* A click on a summary cell filters on its section and verdict. */
    Array.prototype.forEach.call(document.querySelectorAll('table.matrix td.v'), function (td) {
      td.addEventListener('click', function () {
        if (td.classList.contains('zero')) return;
        selSection.value = td.getAttribute('data-section') || '';
        selVerdict.value = td.getAttribute('data-verdict') || '';
        failed.checked = false; search.value = '';
        apply();
        table.scrollIntoView({ block: 'start' });
      });
    });
    apply();
    /* #case-ID opens that case (a link to one case from elsewhere). */
    var want = decodeURIComponent((location.hash || '').replace(/^#case-/, ''));
    rows.forEach(function (row) {
      if (want && row.c.id === want) { toggle(row); row.tr.scrollIntoView({ block: 'center' }); }
    });
  }

  function eventList(items) {
    var ol = el('ol', { cls: 'events' });
    (items || []).forEach(function (t) { ol.appendChild(el('li', { text: t })); });
    if (!items || !items.length) ol.appendChild(el('li', { cls: 'note', text: '(none)' }));
    return ol;
  }

  function caseDetail(c) {
    var box = el('div');
    var kv = el('div', { cls: 'kv' });
    function row(k, v) { kv.appendChild(el('div', { text: k })); kv.appendChild(el('div', null, [v])); }
    row('RFC', c.rfc);
    row('Verdict', el('span', null, [badge(c.verdict), ' ', c.reason || '']));
    row('Closing', el('span', null, [badge(c.close_verdict), ' ', c.close_reason || '']));
    var code = c.close && c.close.server_code;
    row('Server close code', code === null || code === undefined ? 'none' : String(code));
    row('TCP closed by', (c.close && c.close.tcp_closed_by) || 'none');
    row('Duration', fmtNum(c.duration_ms) + ' ms');
    if (c.tags && c.tags.length) row('Tags', c.tags.join(', '));
    if (c.expected_failure) row('Baseline', 'listed in --expect-failures (a known failure)');
    box.appendChild(kv);
    if (c.steps && c.steps.length) {
      box.appendChild(el('h3', { text: 'Steps' }));
      box.appendChild(eventList(c.steps));
    }
    box.appendChild(el('div', { cls: 'cols' }, [
      el('div', null, [el('h3', { text: 'Expected' }), eventList(c.expected)]),
      el('div', null, [el('h3', { text: 'Observed' }), eventList(c.observed),
        c.observed_truncated ? el('p', { cls: 'note', text: c.observed_truncated + ' more events not kept' }) : null])]));
    var hs = c.handshake || {};
    box.appendChild(el('div', { cls: 'cols' }, [
      el('div', null, [el('h3', { text: 'Handshake request' }), el('pre', { text: hs.request || '(none)' }),
        hs.request_truncated ? el('p', { cls: 'note', text: '(truncated)' }) : null]),
      el('div', null, [el('h3', { text: 'Handshake response' + (hs.status ? ' (' + hs.status + ')' : '') }),
        el('pre', { text: hs.response || '(no response)' }),
        hs.response_truncated ? el('p', { cls: 'note', text: '(truncated)' }) : null])]));
    box.appendChild(el('h3', { text: 'Wire log' }));
    if (c.wire_omitted) box.appendChild(el('p', { cls: 'note', text: '(not kept: this run kept the wire logs of cases that were not OK only, or none; see --wire-logs)' }));
    else box.appendChild(wireTable(c.wire || []));
    if (c.wire_truncated) box.appendChild(el('p', { cls: 'note', text: 'wire log truncated: ' + c.wire_truncated + ' entries dropped' }));
    return box;
  }

  function wireTable(wire) {
    if (!wire.length) return el('p', { cls: 'note', text: '(empty)' });
    var tb = el('tbody');
    wire.forEach(function (w) {
      var dir = w.dir === '>' ? 'client \u2192' : w.dir === '<' ? '\u2190 server' : '';
      if (w.kind === 'note') {
        tb.appendChild(el('tr', { cls: 'note' }, [el('td', { text: fmtNum(w.t_ms, 3) }), el('td', { text: dir }),
          el('td', { colspan: '5', text: w.note })]));
        return;
      }
      var flags = w.kind === 'frame' ? [w.fin ? 'FIN' : 'fin=0', w.rsv ? 'RSV=' + w.rsv : '', w.masked ? 'masked' : ''].filter(Boolean).join(' ') : 'raw bytes';
      tb.appendChild(el('tr', { cls: w.dir === '<' ? 'in' : 'out' }, [
        el('td', { text: fmtNum(w.t_ms, 3) }), el('td', { text: dir }),
        el('td', { text: w.kind === 'frame' ? w.opcode + ' (' + w.op + ')' : 'bytes' }),
        el('td', { text: flags }), el('td', { text: fmtNum(w.len) }),
        el('td', { text: w.head_hex || '' }), el('td', { text: w.head_text || '' })]));
    });
    return el('table', { cls: 'wire' }, [el('thead', null, [el('tr', null,
      ['ms', 'dir', 'opcode', 'flags', 'length', 'first bytes (hex)', 'as text'].map(function (h) { return el('th', { text: h }); }))]), tb]);
  }

  /* ---------------- charts (inline SVG) ---------------- */

  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) hi = lo + 1;
    var span = hi - lo, step = Math.pow(10, Math.floor(Math.log10(span / n)));
    [1, 2, 5, 10].some(function (m) { if (span / (step * m) <= n) { step *= m; return true; } return false; });
    var t = [], v = Math.ceil(lo / step) * step;
    for (var k = 0; v <= hi + step * 1e-9 && k < 50; k++, v += step) t.push(v);
    return t;
  }
  function logTicks(lo, hi) {
    var t = [];
    for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)) && t.length < 30; e++) t.push(Math.pow(10, e));
    return t;
  }

  /* series: [{name, points: [[x, y]...], dash}] ; opt: {xLabel, yFmt, logY, logX, bars} */
  function chart(title, series, opt) {
    var W = 640, H = 260, L = 64, R = 14, T = 26, B = 38;
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': title });
    var xs = [], ys = [];
    series.forEach(function (se) { se.points.forEach(function (p) { xs.push(p[0]); if (!opt.logY || p[1] > 0) ys.push(p[1]); }); });
    var fig = el('figure', { cls: 'chart' }, [el('figcaption', { text: title })]);
    if (!xs.length || !ys.length) { fig.appendChild(el('p', { cls: 'note', text: 'no data' })); return fig; }
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = opt.logY ? Math.min.apply(null, ys) : 0, y1 = Math.max.apply(null, ys);
    if (x1 === x0) x1 = x0 + 1;
    if (opt.logY) { y0 = Math.pow(10, Math.floor(Math.log10(y0))); y1 = Math.pow(10, Math.ceil(Math.log10(y1 * 1.0001))); }
    if (!opt.logY && y1 <= 0) y1 = 1;
    if (!opt.logY) y1 *= 1.08;
    function X(v) { return opt.logX ? L + (Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0) || 1) * (W - L - R) : L + (v - x0) / (x1 - x0) * (W - L - R); }
    function Y(v) { return opt.logY ? H - B - (Math.log10(Math.max(v, y0)) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0) || 1) * (H - T - B) : H - B - v / y1 * (H - T - B); }
    var yt = opt.logY ? logTicks(y0, y1) : niceTicks(0, y1, 5);
    yt.forEach(function (v) {
      s.appendChild(svg('line', { x1: L, x2: W - R, y1: Y(v), y2: Y(v), 'class': 'grid' }));
      s.appendChild(svg('text', { x: L - 6, y: Y(v) + 4, 'text-anchor': 'end' }, opt.yFmt ? opt.yFmt(v) : fmtNum(v, 2)));
    });
    var xt = opt.logX ? logTicks(x0, x1) : niceTicks(x0, x1, 8);
    xt.forEach(function (v) {
      if (v < x0 || v > x1) return;
      s.appendChild(svg('text', { x: X(v), y: H - B + 15, 'text-anchor': 'middle' }, opt.xFmt ? opt.xFmt(v) : fmtNum(v, 1)));
    });
    s.appendChild(svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, 'class': 'axis' }));
    s.appendChild(svg('line', { x1: L, x2: L, y1: T - 6, y2: H - B, 'class': 'axis' }));
    if (opt.xLabel) s.appendChild(svg('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle' }, opt.xLabel));
    series.forEach(function (se, i) {
      var color = se.color || PALETTE[i % PALETTE.length];
      if (opt.bars) {
        var bw = Math.max(1, (W - L - R) / Math.max(se.points.length, 1) * 0.8);
        se.points.forEach(function (p) {
          var r = svg('rect', { x: X(p[0]) - bw / 2, y: Y(p[1]), width: bw, height: Math.max(0, H - B - Y(p[1])), fill: color });
          r.appendChild(svg('title', {}, (opt.tipFmt ? opt.tipFmt(p) : p[0] + ': ' + p[1])));
          s.appendChild(r);
        });
      } else {
        var d = se.points.map(function (p, k) { return (k ? 'L' : 'M') + X(p[0]).toFixed(1) + ' ' + Y(p[1]).toFixed(1); }).join(' ');
        var path = svg('path', { d: d, 'class': 'line', stroke: color });
        if (se.dash) path.setAttribute('stroke-dasharray', se.dash);
        path.appendChild(svg('title', {}, se.name));
        s.appendChild(path);
      }
      /* legend: line sample with the same dash, so series differ by more than colour */
      var lx = L + 8 + i * 118;
      var sample = svg('line', { x1: lx, x2: lx + 22, y1: 12, y2: 12, stroke: color, 'stroke-width': 3 });
      if (se.dash) sample.setAttribute('stroke-dasharray', se.dash);
      s.appendChild(sample);
      s.appendChild(svg('text', { x: lx + 27, y: 16, 'class': 'legend-text' }, se.name));
    });
    fig.appendChild(s);
    return fig;
  }

  /* ---------------- load reports ---------------- */

  function card(label, value, bad) {
    return el('div', { cls: 'card' + (bad ? ' bad' : '') }, [el('div', { cls: 'label', text: label }), el('div', { cls: 'value', text: value })]);
  }
  function dataTable(head, rows, id) {
    var t = el('table', { cls: 'data' });
    if (id) t.id = id;
    t.appendChild(el('thead', null, [el('tr', null, head.map(function (h) { return el('th', { text: h }); }))]));
    var tb = el('tbody');
    rows.forEach(function (r) { tb.appendChild(el('tr', null, r.map(function (c) { return el('td', null, [typeof c === 'string' ? c : c]); }))); });
    t.appendChild(tb);
    return t;
  }

  function histogramBins(h) {
    /* Re-bins the log-linear buckets into 12 bins per decade for drawing;
       the bucket at 0 ns joins the one at 1 ns, so every sample is drawn. */
    var bins = {};
    (h && h.buckets || []).forEach(function (b) {
      var k = Math.floor(Math.log10(Math.max(b[0], 1) / 1000) * 12);
      bins[k] = (bins[k] || 0) + b[1];
    });
    return Object.keys(bins).map(Number).sort(function (a, b) { return a - b; }).map(function (k) {
      return [Math.pow(10, (k + 0.5) / 12), bins[k]];
    });
  }

  function renderLoad(r) {
    var s = r.summary, lat = s.latency || {}, corr = lat.corrected || {}, m = s.messages || {}, cn = s.connections || {};
    var er = s.errors || {}, integ = (m.lost || 0) + (m.duplicated || 0) + (m.reordered || 0) + (m.corrupted || 0);
    var ov = section('overview', 'Overview');
    ov.appendChild(el('div', { cls: 'cards', id: 'load-cards' }, [
      card('sent / s', fmtNum(s.rate.sent_per_s)), card('received / s', fmtNum(s.rate.received_per_s)),
      card('p50 latency', fmtUs(corr.p50_us)), card('p99 latency', fmtUs(corr.p99_us)),
      card('p99.9 latency', fmtUs(corr.p999_us)),
      card('connections opened', fmtNum(cn.opened)), card('peak open', fmtNum(cn.peak_open)),
      card('errors', fmtNum(er.total), er.total > 0),
      card('lost / dup / reord / corrupt', [m.lost, m.duplicated, m.reordered, m.corrupted].map(function (x) { return fmtNum(x); }).join(' / '), integ > 0),
      card('measured', fmtNum(s.measured_s, 1) + ' s')]));
    ov.appendChild(el('p', { cls: 'note', text: 'Latency measures: ' + (lat.measures || '') +
      (s.rate.loop === 'open' ? ' \u2014 open loop at ' + fmtNum(s.rate.target_msgs_per_s) + ' msgs/s; corrected figures count from the intended send time.' : '') }));

    var series = (r.series || []).filter(function (p) { return !p.warmup; });
    var all = r.series || [];
    var ch = section('charts', 'Over time');
    var grid = el('div', { cls: 'charts' });
    ch.appendChild(grid);
    var prevT = 0;
    var thr = all.map(function (p) { var dt = p.t - prevT; prevT = p.t; dt = dt > 0 ? dt : 1; return { t: p.t, s: p.sent / dt, r: p.received / dt }; });
    grid.appendChild(chart('Throughput (messages per second)', [
      { name: 'sent/s', points: thr.map(function (p) { return [p.t, p.s]; }) },
      { name: 'received/s', points: thr.map(function (p) { return [p.t, p.r]; }), dash: '6 4' }],
      { xLabel: 'seconds', yFmt: function (v) { return fmtNum(v); } }));
    var pct = [['p50', 'p50_us', ''], ['p90', 'p90_us', '6 3'], ['p99', 'p99_us', '2 3'], ['p99.9', 'p999_us', '10 3 2 3']];
    grid.appendChild(chart('Latency percentiles per second', pct.map(function (q) {
      return { name: q[0], dash: q[2], points: series.filter(function (p) { return p.latency_count > 0 && p[q[1]] > 0; }).map(function (p) { return [p.t, p[q[1]]]; }) };
    }), { xLabel: 'seconds', logY: true, yFmt: fmtUs }));
    grid.appendChild(chart('Open connections', [{ name: 'open', points: all.map(function (p) { return [p.t, p.open]; }) }],
      { xLabel: 'seconds', yFmt: function (v) { return fmtNum(v); } }));
    var hs = r.histograms || {};
    var dist = [{ name: 'latency', points: histogramBins(hs.latency) }];
    grid.appendChild(chart('Latency distribution (messages per bin, 12 bins per decade)', dist,
      { xLabel: 'latency', logX: true, bars: true, xFmt: fmtUs, yFmt: function (v) { return fmtNum(v); },
        tipFmt: function (p) { return '~' + fmtUs(p[0]) + ': ' + fmtNum(p[1]) + ' messages'; } }));
    var errs = all.some(function (p) { return p.errors > 0; });
    if (errs) grid.appendChild(chart('Errors per second', [{ name: 'errors', color: PALETTE[1], points: all.map(function (p) { return [p.t, p.errors]; }) }],
      { xLabel: 'seconds', yFmt: function (v) { return fmtNum(v); } }));

    var lt = section('latency', 'Latency');
    var names = [['corrected', 'messages'], ['uncorrected', 'messages (uncorrected)'], ['send_lag', 'send lag (open loop: sent - due)'], ['connect', 'TCP connect'], ['tls', 'TLS handshake'], ['upgrade', 'WebSocket upgrade']];
    lt.appendChild(dataTable(['', 'count', 'min', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max'],
      names.filter(function (n) { return lat[n[0]] && lat[n[0]].count > 0; }).map(function (n) {
        var h = lat[n[0]];
        return [n[1], fmtNum(h.count), fmtUs(h.min_us), fmtUs(h.mean_us), fmtUs(h.p50_us), fmtUs(h.p90_us), fmtUs(h.p99_us), fmtUs(h.p999_us), fmtUs(h.max_us)];
      }), 'latency-table'));

    var es = section('errors', 'Errors and integrity');
    var by = er.by_class || {};
    es.appendChild(dataTable(['class', 'count'], Object.keys(by).map(function (k) { return [k, fmtNum(by[k])]; }).concat([['total', fmtNum(er.total)]])));
    [['close codes received', er.close_codes], ['handshake status', er.handshake_status]].forEach(function (p) {
      var o = p[1] || {};
      if (Object.keys(o).length) es.appendChild(dataTable([p[0], 'count'], Object.keys(o).map(function (k) { return [k, fmtNum(o[k])]; })));
    });
    var det = er.details || {};
    Object.keys(det).forEach(function (k) {
      es.appendChild(el('h3', { text: 'First ' + k + ' errors' }));
      es.appendChild(eventList(det[k]));
    });
    es.appendChild(dataTable(['integrity', 'count'], [['lost', fmtNum(m.lost)], ['duplicated', fmtNum(m.duplicated)],
      ['reordered', fmtNum(m.reordered)], ['corrupted', fmtNum(m.corrupted)], ['unexpected', fmtNum(m.unexpected)],
      ['in flight at stop', fmtNum(m.in_flight_at_stop)]]));

    if ((r.thresholds || []).length) {
      var ts = section('thresholds', 'Thresholds');
      ts.appendChild(dataTable(['threshold', 'result', 'detail'], r.thresholds.map(function (t) {
        return [t.expr, badge(t.pass ? 'OK' : 'FAILED', true), t.text];
      })));
    }
    var g = s.generator || {};
    var gs = section('generator', 'The generator');
    gs.appendChild(dataTable(['', ''], [['CPU user / sys', fmtNum(g.cpu_user_s, 2) + ' s / ' + fmtNum(g.cpu_sys_s, 2) + ' s'],
      ['CPU s per million messages', fmtNum(g.cpu_s_per_million_msgs, 2)], ['peak RSS', fmtNum(g.peak_rss_kb) + ' KiB'],
      ['busiest worker', fmtNum((g.busiest_worker_cpu || 0) * 100) + '%'],
      ['generator was the bottleneck', g.bottleneck ? 'yes \u2014 the numbers describe the generator, not the server' : 'no']]));
    (g.notes || []).forEach(function (n) { gs.appendChild(el('p', { cls: 'note', text: 'note: ' + n })); });
    var cf = r.config || {};
    var cs = section('config', 'Configuration');
    cs.appendChild(dataTable(['option', 'value'], Object.keys(cf).filter(function (k) { return typeof cf[k] !== 'object'; }).map(function (k) {
      return [k, String(cf[k])];
    })));
  }

  /* ---------------- several targets side by side ---------------- */

  function renderCompare(d) {
    var sec = section('compare', 'Cases \u00d7 servers');
    var onlyDiff = el('input', { type: 'checkbox', id: 'f-differ' });
    var failed = el('input', { type: 'checkbox', id: 'f-failed' });
    var search = el('input', { type: 'search', id: 'f-text', placeholder: 'Search id or title\u2026', 'aria-label': 'search cases' });
    var count = el('span', { cls: 'count', id: 'f-count' });
    sec.appendChild(el('div', { cls: 'toolbar' }, [el('label', null, [onlyDiff, ' Only where servers differ']),
      el('label', null, [failed, ' Failed somewhere']), search, count]));
    var head = el('tr', null, [el('th', { text: 'Case' }), el('th', { text: 'Title' })]);
    d.reports.forEach(function (r) { head.appendChild(el('th', { text: r.agent, title: r.target })); });
    var tb = el('tbody');
    var rows = d.cases.map(function (c) {
      var verdicts = d.reports.map(function (r) { return r.results[c.id] || null; });
      var keys = verdicts.map(function (v) { return v ? v[0] + '/' + v[1] : '-'; });
      var differ = keys.some(function (k) { return k !== keys[0]; });
      var anyFailed = verdicts.some(function (v) { return v && (v[0] === 'FAILED' || v[1] === 'FAILED'); });
      var tr = el('tr', { cls: 'case', 'data-failed': anyFailed ? '1' : '0', 'data-differ': differ ? '1' : '0' },
        [el('td', { cls: 'id', text: c.id }), el('td', { text: c.title })]);
      verdicts.forEach(function (v) {
        var td = el('td', { cls: 'cell' + (differ ? ' diff' : '') });
        if (!v) td.appendChild(el('span', { cls: 'note', text: 'not run' }));
        else {
          td.appendChild(badge(v[0], true));
          if (v[1] !== 'OK') { td.appendChild(document.createTextNode(' ')); td.appendChild(el('span', { cls: 'note', text: 'close ' + v[1] })); }
          if (v[2]) td.setAttribute('title', v[2]);
        }
        tr.appendChild(td);
      });
      tb.appendChild(tr);
      return { tr: tr, differ: differ, failed: anyFailed, hay: (c.id + ' ' + c.title).toLowerCase() };
    });
    sec.appendChild(el('table', { cls: 'cases cmp', id: 'compare-table' }, [el('thead', null, [head]), tb]));
    function apply() {
      var q = search.value.trim().toLowerCase(), shown = 0;
      rows.forEach(function (row) {
        var ok = (!onlyDiff.checked || row.differ) && (!failed.checked || row.failed) && (!q || row.hay.indexOf(q) >= 0);
        row.tr.classList.toggle('hidden', !ok);
        if (ok) shown++;
      });
      count.textContent = 'showing ' + shown + ' of ' + rows.length + ' cases';
    }
    [onlyDiff, failed, search].forEach(function (c) { c.addEventListener('input', apply); c.addEventListener('change', apply); });
    apply();
  }

  /* ---------------- two runs of one target ---------------- */

  function renderDiff(d) {
    var sec = section('changes', 'Changes');
    if (!d.changes.length) { sec.appendChild(el('p', { text: 'No case changed its verdict.' })); return; }
    var tb = el('tbody');
    d.changes.forEach(function (c) {
      function cell(v) {
        if (!v) return el('td', null, [el('span', { cls: 'note', text: 'not run' })]);
        return el('td', { title: v[2] || '' }, [badge(v[0], true), v[1] !== 'OK' ? el('span', { cls: 'note', text: ' close ' + v[1] }) : null]);
      }
      tb.appendChild(el('tr', { cls: 'case', 'data-change': c.change }, [el('td', { text: c.change }),
        el('td', { cls: 'id', text: c.id }), el('td', { text: c.title }), cell(c.old), cell(c.new),
        el('td', { cls: 'why', text: (c.new && c.new[2]) || (c.old && c.old[2]) || '' })]));
    });
    sec.appendChild(el('table', { cls: 'cases', id: 'diff-table' }, [el('thead', null, [el('tr', null,
      ['Change', 'Case', 'Title', 'Before', 'After', 'Reason'].map(function (h) { return el('th', { text: h }); }))]), tb]));
  }

  function main() {
    var node = document.getElementById('wsprobe-data');
    if (!node) return;
    var d = JSON.parse(node.textContent);
    if (d.kind === 'check') renderCheck(d);
    else if (d.kind === 'load') renderLoad(d);
    else if (d.kind === 'compare') renderCompare(d);
    else if (d.kind === 'diff') renderDiff(d);
    document.body.setAttribute('data-rendered', d.kind);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
  else main();
})();
