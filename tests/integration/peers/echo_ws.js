// Echo server on node-ws 8.11, the peer every integration test that needs this
// library starts:
//
//   node echo_ws.js PORT [--no-deflate] [--max-payload BYTES] [--no-subprotocol]
//
// permessage-deflate is on with its default parameters unless --no-deflate;
// the largest message taken is 64 MiB unless --max-payload says otherwise;
// --no-subprotocol declines every offered subprotocol (by default node-ws
// selects the first one offered). Listens on 127.0.0.1 only.
'use strict';
const WebSocket = require('/usr/share/nodejs/ws');

const opts = {host: '127.0.0.1', port: Number(process.argv[2]), perMessageDeflate: true,
              maxPayload: 64 * 1024 * 1024};
for (let i = 3; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--no-deflate') opts.perMessageDeflate = false;
  else if (a === '--max-payload') opts.maxPayload = Number(process.argv[++i]);
  else if (a === '--no-subprotocol') opts.handleProtocols = () => false;
  else {
    console.error(`echo_ws.js: unknown argument ${a}`);
    process.exit(2);
  }
}

const wss = new WebSocket.Server(opts);
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, {binary: isBinary}));
});
process.on('SIGTERM', () => process.exit(0));
