/**
 * WebSocket connections held open through the proxy for a whole run: each
 * sends a numbered message on a clock and expects its echo back (the
 * backend echoes), so "still open" means "still carrying traffic both
 * ways", not only "no close frame yet".
 */
import WebSocket from 'ws';

export interface HeldSocket {
  readonly id: number;
  opened: boolean;
  closedAt?: number;
  closeReason?: string;
  sent: number;
  echoed: number;
  /** Messages whose echo did not come back within the ping interval. */
  missed: number;
  /** Echoes that came back after the next message was due (also counted in missed). */
  late: number;
  /** Echoes that match nothing this socket sent. */
  garbled: number;
  lastEchoAt: number;
}

export interface HeldSockets {
  readonly sockets: readonly HeldSocket[];
  /** Stops the clock, lets the last round's echoes arrive, sends one more round and waits for its echoes (each wait up to timeoutMs). */
  finalRound(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function openHeldSockets(url: string, count: number, everyMs: number): Promise<HeldSockets> {
  const sockets: HeldSocket[] = [];
  const conns: WebSocket[] = [];
  const waiting = new Map<number, { seq: number; sentAt: number }>();
  await Promise.all(Array.from({ length: count }, (_, id) => new Promise<void>((resolve, reject) => {
    const s: HeldSocket = { id, opened: false, sent: 0, echoed: 0, missed: 0, late: 0, garbled: 0, lastEchoAt: 0 };
    sockets.push(s);
    const ws = new WebSocket(url);
    conns[id] = ws;
    const timer = setTimeout(() => reject(new Error(`WebSocket ${id} to ${url}: not open after 10 s`)), 10_000);
    ws.on('open', () => { s.opened = true; clearTimeout(timer); resolve(); });
    ws.on('message', (data) => {
      const w = waiting.get(id);
      const m = /^ping (\d+) (\d+)$/.exec(String(data));
      if (w && m && Number(m[1]) === id && Number(m[2]) === w.seq) {
        waiting.delete(id);
        s.echoed++;
        s.lastEchoAt = Date.now();
      } else if (m && Number(m[1]) === id && Number(m[2]) < s.sent) {
        s.late++; // an echo already counted as missed
      } else {
        s.garbled++;
      }
    });
    ws.on('close', (code, reason) => {
      s.closedAt ??= Date.now();
      s.closeReason ??= `close ${code}${reason.length ? ` ${reason.toString()}` : ''}`;
      clearTimeout(timer);
      if (!s.opened) reject(new Error(`WebSocket ${id} to ${url}: ${s.closeReason} before it opened`));
    });
    ws.on('error', (err) => {
      s.closeReason ??= `error ${(err as NodeJS.ErrnoException).code ?? err.message}`;
      if (!s.opened) { clearTimeout(timer); reject(new Error(`WebSocket ${id} to ${url}: ${err.message}`)); }
    });
  })));

  const round = () => {
    for (const s of sockets) {
      const ws = conns[s.id]!;
      if (waiting.has(s.id)) { s.missed++; waiting.delete(s.id); }
      if (ws.readyState !== WebSocket.OPEN) continue;
      const seq = s.sent++;
      waiting.set(s.id, { seq, sentAt: Date.now() });
      ws.send(`ping ${s.id} ${seq}`);
    }
  };
  const clock = setInterval(round, everyMs);
  return {
    sockets,
    async finalRound(timeoutMs) {
      clearInterval(clock);
      const settle = async () => {
        const deadline = Date.now() + timeoutMs;
        while (waiting.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      };
      await settle(); // the echoes of the last regular round
      round();
      await settle();
      for (const id of waiting.keys()) sockets[id]!.missed++;
      waiting.clear();
    },
    async close() {
      clearInterval(clock);
      await Promise.all(conns.map((ws) => new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close(1000, 'soak over');
        setTimeout(() => { ws.terminate(); resolve(); }, 2_000).unref();
      })));
    },
  };
}
