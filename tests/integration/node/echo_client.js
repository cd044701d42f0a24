// An echo session against a WebSocket server with node-ws as the client:
// text and binary messages of 0, 125, 126, 65535, 65536 and 1 MiB bytes, a
// ping, then a clean close. Prints one JSON line per check:
//   {"name": "...", "ok": true|false, "detail": "..."}
// and a last line {"done": true, "echoed": N}. Exit 0 if every check passed.
//
//   node echo_client.js URL [--ca FILE] [--deflate] [--subprotocol NAME]
//
// Only loopback URLs are accepted; the whole session has a 40 s limit.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const WebSocket = require('/usr/share/nodejs/ws');

const args = process.argv.slice(2);
const url = args[0];
let ca = null;
let deflate = false;
const protocols = [];
for (let i = 1; i < args.length; i++) {
  if (args[i] === '--ca') ca = fs.readFileSync(args[++i]);
  else if (args[i] === '--deflate') deflate = true;
  else if (args[i] === '--subprotocol') protocols.push(args[++i]);
  else {
    console.error(`unknown argument ${args[i]}`);
    process.exit(2);
  }
}
if (!/^wss?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\//.test(url || '')) {
  console.error('usage: node echo_client.js ws://127.0.0.1:PORT/ [--ca FILE] [--deflate]');
  process.exit(2);
}

let failed = 0;
let echoed = 0;
function report(name, ok, detail) {
  if (!ok) failed++;
  console.log(JSON.stringify({name, ok: !!ok, detail: detail || ''}));
}

const limit = setTimeout(() => {
  report('session finished within 40 s', false, 'timed out');
  process.exit(1);
}, 40000);

const ws = new WebSocket(url, protocols, {ca: ca || undefined, perMessageDeflate: deflate,
                                          maxPayload: 4 << 20, handshakeTimeout: 10000});

// Resolves with the next message (data, isBinary).
const inbox = [];
let waiting = null;
ws.on('message', (data, isBinary) => {
  if (waiting) {
    const w = waiting;
    waiting = null;
    w({data, isBinary});
  } else {
    inbox.push({data, isBinary});
  }
});
function next() {
  if (inbox.length) return Promise.resolve(inbox.shift());
  return new Promise((resolve) => { waiting = resolve; });
}

function textOf(n) {
  const pairs = Math.floor(n / 4);
  return 'é'.repeat(pairs) + 'x'.repeat(n - 2 * pairs);
}

async function run() {
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  // On the client side node-ws gives the server's Sec-WebSocket-Extensions value.
  const ext = String(ws.extensions);
  report(deflate ? 'permessage-deflate negotiated' : 'no extension negotiated',
         deflate ? /^permessage-deflate(;|$)/.test(ext) : ext === '', `extensions: ${ext}`);
  if (protocols.length) {
    report(`subprotocol ${protocols[0]} selected`, ws.protocol === protocols[0], ws.protocol);
  }

  for (const n of [0, 125, 126, 65535, 65536, 1 << 20]) {
    const t = textOf(n);
    ws.send(t);
    let m = await next();
    report(`text ${n} B echoed`, !m.isBinary && m.data.toString('utf8') === t,
           `binary=${m.isBinary} len=${m.data.length}`);
    const b = crypto.randomBytes(n);
    ws.send(b);
    m = await next();
    report(`binary ${n} B echoed`, m.isBinary && Buffer.compare(m.data, b) === 0,
           `binary=${m.isBinary} len=${m.data.length}`);
    echoed += 2;
  }
  // A message in three fragments (fin=false, false, true).
  ws.send('frag', {fin: false});
  ws.send('ment', {fin: false});
  ws.send('ed ✓', {fin: true});
  const f = await next();
  report('fragmented text echoed as one message', f.data.toString('utf8') === 'fragmented ✓',
         f.data.toString('utf8'));
  echoed += 1;

  const pong = new Promise((resolve) => ws.once('pong', resolve));
  ws.ping(Buffer.from('node ping'));
  const p = await pong;
  report('ping answered by a pong with the same payload', p.toString() === 'node ping', p.toString());

  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({code, reason})));
  ws.close(1000, 'done');
  const c = await closed;
  report('clean close: client sees close code 1000', c.code === 1000,
         `code ${c.code} reason ${c.reason}`);
}

run().then(() => {
  clearTimeout(limit);
  console.log(JSON.stringify({done: true, echoed}));
  process.exit(failed ? 1 : 0);
}, (e) => {
  report('session completed', false, String(e && e.message || e));
  process.exit(1);
});
