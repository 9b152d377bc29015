// Small DOM helpers: every text goes in as text (never as HTML).

/** h('td', { class: 'x', 'data-y': 1 }, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function table(headers, rows) {
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))), h('tbody', {}, rows));
}

export function replace(id, ...children) {
  const el = document.getElementById(id);
  el.replaceChildren();
  append(el, children);
}

export function pill(text, kind) {
  return h('span', { class: `pill ${kind ?? ''}` }, text);
}

export function problems(errors, warnings) {
  if (!errors?.length && !warnings?.length) return null;
  return h('ul', { class: 'problems' }, (errors ?? []).map((e) => h('li', { class: 'err' }, e)), (warnings ?? []).map((w) => h('li', { class: 'warnt' }, w)));
}

/** "3 s ago": kept current by tickAges(). */
export function ago(ts) {
  return ts ? h('span', { class: 'ago muted', 'data-ts': ts }, agoText(ts)) : h('span', { class: 'muted' }, '-');
}

/** "for 3 s": kept current by tickAges(). */
export function since(ts) {
  return h('span', { 'data-since': ts }, durText(ts));
}

function durText(ts) {
  const s = Math.max(0, Math.round((Date.now() - ts) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export const agoText = (ts) => `${durText(ts)} ago`;

export function tickAges() {
  for (const el of document.querySelectorAll('[data-ts]')) el.textContent = agoText(Number(el.dataset.ts));
  for (const el of document.querySelectorAll('[data-since]')) el.textContent = durText(Number(el.dataset.since));
}

export const ms = (x) => (x === undefined || x === null ? '-' : x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`);
export const num = (x) => (x >= 100 ? String(Math.round(x)) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
