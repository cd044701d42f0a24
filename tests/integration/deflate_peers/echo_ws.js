// Echo server on node-ws with permessage-deflate enabled (its default
// parameters): node echo_ws.js PORT. Listens on 127.0.0.1 only.
'use strict';
const WebSocket = require('/usr/share/nodejs/ws');

const wss = new WebSocket.Server({
  host: '127.0.0.1',
  port: Number(process.argv[2]),
  perMessageDeflate: true,
  maxPayload: 64 * 1024 * 1024,
});
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, {binary: isBinary}));
});
process.on('SIGTERM', () => process.exit(0));
