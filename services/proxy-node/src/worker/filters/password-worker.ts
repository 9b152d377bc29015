/**
 * The password checks that take real CPU (bcrypt: tens to hundreds of ms by
 * design; apr1: a thousand MD5 rounds), run on a thread of their own so a
 * data-plane worker's event loop never waits on one (password-check.ts).
 */
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';

// A CommonJS module whose types declare an ES default export: required as what it is.
const aprMd5 = createRequire(import.meta.url)('apache-md5') as (password: string, salt?: string) => string;

export interface CheckRequest { id: number; password: string; hash: string }
export interface CheckReply { id: number; ok: boolean }

/** Constant-time comparison of two hash strings. */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function checkSlowHash(password: string, hash: string): boolean {
  if (hash.startsWith('$apr1$')) return same(aprMd5(password, hash), hash);
  // bcryptjs reads $2a$/$2b$; $2y$ (htpasswd's) is the same algorithm.
  if (hash.startsWith('$2')) return bcrypt.compareSync(password, hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash);
  return false;
}

parentPort?.on('message', (m: CheckRequest) => {
  let ok = false;
  try { ok = checkSlowHash(m.password, m.hash); } catch { ok = false; }
  parentPort!.postMessage({ id: m.id, ok } satisfies CheckReply);
});
