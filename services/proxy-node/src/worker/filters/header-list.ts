/**
 * Edits of a flat [name, value, ...] header list (lower-case names), as the
 * pipeline hands them to onUpstreamRequest and onResponse.
 */
import type { HeaderModifier } from '../route-policy.ts';

/** Every field named `name` removed. */
export function removeHeader(list: string[], name: string): void {
  for (let i = list.length - 2; i >= 0; i -= 2) if (list[i] === name) list.splice(i, 2);
}

/** The fields named `name` replaced by one (nginx more_set_headers, Gateway API `set`). */
export function setHeader(list: string[], name: string, value: string): void {
  removeHeader(list, name);
  list.push(name, value);
}

/** The first value of `name`, or undefined. */
export function headerValue(list: readonly string[], name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
  return undefined;
}

/** A Gateway API HTTPHeaderFilter: remove, then set, then add (a field line of its own, kept apart from any the message has). */
export function applyModifier(list: string[], m: HeaderModifier): void {
  if (m.remove) for (const n of m.remove) removeHeader(list, n);
  if (m.set) for (const h of m.set) setHeader(list, h.name, h.value);
  if (m.add) for (const h of m.add) list.push(h.name, h.value);
}
