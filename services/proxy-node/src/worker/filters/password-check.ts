/**
 * Password checks for basic authentication. {SHA} is one SHA-1: checked in
 * place. bcrypt and $apr1$ go to one helper thread per data-plane worker,
 * started on the first such check, so the worker's event loop stays free
 * while they run; checks of the same credentials in flight share one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { CheckReply, CheckRequest } from './password-worker.ts';

/** Past this many checks waiting, more are refused (503) rather than queued without bound. */
export const MAX_PENDING_CHECKS = 256;

export class TooManyChecksError extends Error {
  constructor() { super(`more than ${MAX_PENDING_CHECKS} password checks waiting`); }
}

function checkSha(password: string, hash: string): boolean {
  const want = Buffer.from(hash.slice(5), 'base64');
  const got = createHash('sha1').update(password).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

class SlowChecks {
  #worker: Worker | undefined;
  #next = 1;
  readonly #waiting = new Map<number, (ok: boolean) => void>();
  readonly #inFlight = new Map<string, Promise<boolean>>();

  check(password: string, hash: string): Promise<boolean> {
    const key = `${hash}\0${password}`;
    const same = this.#inFlight.get(key);
    if (same !== undefined) return same;
    if (this.#waiting.size >= MAX_PENDING_CHECKS) return Promise.reject(new TooManyChecksError());
    const w = this.#thread();
    const id = this.#next++;
    const p = new Promise<boolean>((resolve) => this.#waiting.set(id, resolve)).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, p);
    if (this.#waiting.size === 1) w.ref();
    w.postMessage({ id, password, hash } satisfies CheckRequest);
    return p;
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL('./password-worker.ts', import.meta.url));
    w.on('message', (m: CheckReply) => {
      const done = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      if (this.#waiting.size === 0) w.unref();
      done?.(m.ok);
    });
    // A dead helper fails its checks closed; the next check starts another.
    const fail = () => {
      if (this.#worker === w) this.#worker = undefined;
      for (const done of this.#waiting.values()) done(false);
      this.#waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', fail);
    w.unref();
    this.#worker = w;
    return w;
  }
}

const slow = new SlowChecks();

/** Whether `password` matches `hash`: a boolean now for {SHA}, a promise for bcrypt and $apr1$. */
export function checkPassword(password: string, hash: string): boolean | Promise<boolean> {
  if (hash.startsWith('{SHA}')) return checkSha(password, hash);
  if (hash.startsWith('$2') || hash.startsWith('$apr1$')) return slow.check(password, hash);
  return false;
}
