import http from 'node:http';
import os from 'node:os';

/**
 * The seed's server.js: answers every request with
 * "Hello World! I'm User server <hostname>" (or Product server). `hostname`
 * defaults to the machine's, as in the seed; `meshgate up` adds the port so
 * two backends on one machine can be told apart.
 */
export async function startDemoBackend(opts: { kind: string; host?: string; port: number; hostname?: string }): Promise<http.Server> {
  const who = opts.hostname ?? os.hostname();
  const body = `Hello World! I'm ${opts.kind} server ${who} \n`;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  return server;
}
