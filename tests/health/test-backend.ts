/**
 * A backend process for the health chaos tests: answers every request with
 * "Hello World! I'm Web server <name>" like the demo backend, but starts in
 * a fraction of the time of the whole CLI, so a restart measures the mesh,
 * not module loading. Usage: node test-backend.ts PORT NAME [HOST]
 */
import http from 'node:http';

const [port, name, host = '127.0.0.1'] = process.argv.slice(2);
const body = `Hello World! I'm Web server ${name} \n`;
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
});
server.listen(Number(port), host, () => process.stderr.write(`test backend ${name} listening on ${host}:${port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
