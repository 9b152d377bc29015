// NATS subject syntax for the in-memory transport, so code written against
// LocalTransport behaves the same on NATS: dot-separated tokens, `*` matches
// exactly one token, `>` (last token only) matches one or more tokens.
import { InvalidSubjectError } from './errors.ts';

function tokens(subject: string): string[] {
  if (typeof subject !== 'string' || subject === '') throw new InvalidSubjectError(String(subject), 'empty');
  if (/\s/.test(subject)) throw new InvalidSubjectError(subject, 'contains whitespace');
  const t = subject.split('.');
  if (t.some((x) => x === '')) throw new InvalidSubjectError(subject, 'empty token');
  return t;
}

/** Tokens of a subject to publish to: no wildcards allowed. */
export function parsePublishSubject(subject: string): string[] {
  const t = tokens(subject);
  if (t.some((x) => x === '*' || x === '>')) throw new InvalidSubjectError(subject, 'wildcards are only valid in subscriptions');
  return t;
}

/** Tokens of a subscription pattern: `*` anywhere, `>` only last. */
export function parseSubscribeSubject(subject: string): string[] {
  const t = tokens(subject);
  const gt = t.indexOf('>');
  if (gt !== -1 && gt !== t.length - 1) throw new InvalidSubjectError(subject, "'>' must be the last token");
  return t;
}

export function subjectMatches(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== '*' && p !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}
