/**
 * The chaos and soak backend: answers every HTTP request with the demo's
 * greeting ("Hello World! I'm Web server <name>") and echoes every
 * WebSocket message on any path. It starts in a fraction of the time of the
 * whole CLI, so a restart measures the mesh, not module loading.
 * Usage: node backend.ts PORT NAME
 */
import http from 'node:http';
import { WebSocketServer } from 'ws';

const [port, name] = process.argv.slice(2);
const body = `Hello World! I'm Web server ${name} \n`;
const server = http.createServer((req, res) => {
  // Drain any request body before answering, so a keep-alive connection stays usable.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
server.listen(Number(port), '127.0.0.1', () => process.stderr.write(`backend ${name} listening on 127.0.0.1:${port}\n`));
process.once('SIGTERM', () => {
  for (const c of wss.clients) c.terminate();
  server.close(() => process.exit(0));
});
