/**
 * A worker's listeners, the accept and parse phases of the pipeline: plain
 * HTTP/1.1 on `H1Server` (node's native llhttp without node:http's objects)
 * and HTTPS on node:http2's secure server, whose TLS connections go to
 * node:http2 when ALPN picked h2 and to the same H1Server otherwise, so both
 * protocols share the port and the pipeline. Both bind with reusePort: every
 * worker (and every proxy node on the host) shares the ports and the kernel
 * spreads connections. Also their graceful stop (drain).
 */
import http2 from 'node:http2';
import type net from 'node:net';
import type tls from 'node:tls';
import { channels, type Logger } from '@meshgate/telemetry';
import { H1Server } from './h1-server.ts';
import { closeWhenIdle, h2HeaderOptions } from './h2-limits.ts';
import type { ProfileOptions } from './tls-profile.ts';
import type { DataPlaneLimits, ListenAddress } from './messages.ts';
import { H2Request, H2Response } from './pipeline/h2-stream.ts';
import { handleRequest } from './pipeline/pipeline.ts';
import type { PipelineEnv } from './pipeline/pipeline-env.ts';
import { handleUpgrade } from './pipeline/tunnel.ts';

export interface ListenerOptions {
  readonly env: PipelineEnv;
  readonly limits: DataPlaneLimits;
  readonly log: Logger;
  readonly https: boolean;
  readonly ticketKeys: Buffer | undefined;
  /** --tls-profile's protocol versions and ciphers, for the server's own (no-SNI) context. */
  readonly tlsProfile: ProfileOptions;
  /** The secure context for a server name (SNI) of `socket`'s handshake, undefined when no certificate serves it. */
  secureContext(servername: string, socket?: tls.TLSSocket): tls.SecureContext | undefined;
}

export interface Listeners {
  readonly httpServer: H1Server;
  readonly httpsServer: http2.Http2SecureServer | undefined;
  /** Connections open now, over both listeners. */
  open(): number;
  listen(http: ListenAddress, https: ListenAddress | undefined): Promise<void>;
  /** Graceful stop, bounded by graceMs (see drain). */
  drain(graceMs: number): Promise<void>;
}

const ignore = (): void => {};

export function startListeners(o: ListenerOptions): Listeners {
  const { env, limits } = o;
  // While draining, h1 responses ask the client to close, so keep-alive connections end after their in-flight request.
  let draining = false;
  // Upgraded (WebSocket) sockets leave the servers' bookkeeping; the drain deadline still has to reach them.
  const upgraded = new Set<net.Socket>();
  const httpServer = new H1Server({
    maxHeaderSize: limits.maxHeaderSize,
    headersTimeoutMs: limits.headersTimeoutMs,
    // A `bodyTimeoutMs` limit when one is given, else the header timeout (nginx: client_body_timeout and client_header_timeout, 60 s each).
    bodyTimeoutMs: limits.bodyTimeoutMs ?? limits.headersTimeoutMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
    onRequest: (req, res) => {
      if (draining) res.shouldKeepAlive = false;
      handleRequest(env, req, res);
    },
    onUpgrade: (req, socket, head) => {
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      handleUpgrade(env, req, socket, head);
    },
  });

  const tlsSockets = new Set<tls.TLSSocket>();
  const h2Sessions = new Set<http2.ServerHttp2Session>();
  let httpsServer: http2.Http2SecureServer | undefined;
  if (o.https) {
    const bodyTimeoutMs = env.bodyTimeoutMs ?? 0;
    httpsServer = http2.createSecureServer({
      allowHTTP1: true,
      ...o.tlsProfile,
      // A handshake (or a connection that sends nothing) gets the header timeout, as nginx applies
      // client_header_timeout to it; node's default is 120 s, so stalled handshakes piled up.
      handshakeTimeout: limits.headersTimeoutMs,
      ...(o.ticketKeys ? { ticketKeys: o.ticketKeys } : {}),
      // Called as a method of the TLS socket being handshaken (node's loadSNI): its client-certificate request is per name.
      SNICallback(this: tls.TLSSocket | undefined, name, cb) {
        const sc = o.secureContext(name, this);
        if (sc) cb(null, sc);
        else cb(new Error(`no certificate for ${name}: add an Ingress tls section with a Secret for this host`));
      },
      ...h2HeaderOptions(limits.maxHeaderSize),
      settings: { maxConcurrentStreams: 256, ...h2HeaderOptions(limits.maxHeaderSize).settings },
    });
    // HTTP/2 on the core stream API; no 'request' listener, so node sets up no compatibility objects.
    httpsServer.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      stream.on('error', ignore);
      try {
        if (headers.expect === '100-continue') stream.additionalHeaders({ ':status': 100 });
        handleRequest(env, new H2Request(stream, headers, rawHeaders, bodyTimeoutMs), new H2Response(stream));
      } catch {
        stream.destroy();
      }
    });
    httpsServer.on('sessionError', ignore);
    // ALPN h2 -> node:http2's own listener; http/1.1 or no ALPN -> H1Server. allowHTTP1
    // stays on so the server still offers http/1.1 in ALPN.
    const h2Listener = httpsServer.listeners('secureConnection')[0] as (s: tls.TLSSocket) => void;
    httpsServer.removeListener('secureConnection', h2Listener);
    const h2Server = httpsServer;
    httpsServer.prependListener('secureConnection', (s: tls.TLSSocket) => {
      if (s.alpnProtocol === 'h2') h2Listener.call(h2Server, s);
      else httpServer.adopt(s);
    });
    httpsServer.on('secureConnection', (s: tls.TLSSocket) => {
      tlsSockets.add(s);
      s.once('close', () => tlsSockets.delete(s));
      if (channels.tlsHandshake.hasSubscribers) {
        const servername = (s as tls.TLSSocket & { servername?: string | false }).servername;
        channels.tlsHandshake.publish({ ...(servername ? { servername } : {}), protocol: s.getProtocol() ?? undefined, resumed: s.isSessionReused() });
      }
    });
    httpsServer.on('session', (session: http2.ServerHttp2Session) => {
      h2Sessions.add(session);
      session.once('close', () => h2Sessions.delete(session));
      // A session with no open stream for the keep-alive timeout is closed, as an idle h1 connection is.
      closeWhenIdle(session, limits.keepAliveTimeoutMs);
      if (draining) session.close();
    });
  }
  const servers: net.Server[] = httpsServer ? [httpServer.server, httpsServer as unknown as net.Server] : [httpServer.server];

  return {
    httpServer,
    httpsServer,
    open() {
      let n = 0;
      for (const s of servers) n += (s as net.Server & { _connections?: number })._connections ?? 0;
      return n;
    },
    async listen(http, https) {
      await listen(httpServer.server, http);
      if (httpsServer && https) await listen(httpsServer as unknown as net.Server, https);
    },
    drain(graceMs) {
      draining = true;
      return drain({ httpServer, httpsServer, h2Sessions, tlsSockets, upgraded }, graceMs);
    },
  };
}

async function listen(server: net.Server, addr: ListenAddress): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: addr.host, port: addr.port, reusePort: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

interface Open {
  httpServer: H1Server;
  httpsServer: http2.Http2SecureServer | undefined;
  h2Sessions: Set<http2.ServerHttp2Session>;
  tlsSockets: Set<tls.TLSSocket>;
  upgraded: Set<net.Socket>;
}

/**
 * Graceful stop, bounded by graceMs: stop accepting (the other workers and
 * nodes sharing the port take new connections), after a short window close
 * idle keep-alive connections, send h2 GOAWAY, let in-flight requests finish (their h1
 * responses carry Connection: close), then close whatever is left.
 */
async function drain(l: Open, graceMs: number): Promise<void> {
  const closed = [
    new Promise<void>((r) => { if (!l.httpServer.server.listening) r(); else l.httpServer.close(() => r()); }),
    ...(l.httpsServer ? [l.httpsServer as unknown as net.Server] : []).map((s) => new Promise<void>((r) => { if (!s.listening) r(); else s.close(() => r()); })),
  ];
  for (const s of l.h2Sessions) s.close();
  const idle = () => {
    l.httpServer.closeIdleConnections();
    (l.httpsServer as unknown as { closeIdleConnections?(): void } | undefined)?.closeIdleConnections?.();
  };
  // Idle keep-alive connections stay open for a short window first: a client
  // may be sending its next request on one right now, and closing under it
  // would reset that request. During the window such requests are served
  // with Connection: close (see `draining` above); then idle connections are
  // closed, and one whose last in-flight request just finished is idle too.
  const window = Math.min(1_000, graceMs / 2);
  let sweep: NodeJS.Timeout | undefined;
  const startSweep = setTimeout(() => { idle(); sweep = setInterval(idle, 50); }, window);
  const deadline = new Promise<void>((r) => setTimeout(r, graceMs).unref());
  await Promise.race([Promise.all(closed), deadline]);
  clearTimeout(startSweep);
  clearInterval(sweep);
  l.httpServer.closeAllConnections();
  for (const s of l.h2Sessions) s.destroy();
  for (const s of l.tlsSockets) s.destroy();
  for (const s of l.upgraded) s.destroy();
  await Promise.all(closed);
}
