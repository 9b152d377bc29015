// Small inline-SVG charts: one line per series, gaps where nothing was served.
import { h, num, ms } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 150;
const H = 30;

function svg(tag, attrs) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A sparkline of `values` (nulls are gaps), scaled to its own maximum (at least `floor`). */
export function sparkline(values, kind, floor) {
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', class: kind, role: 'img' });
  s.append(svg('line', { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: 'base' }));
  const max = Math.max(floor, ...values.filter((v) => v !== null));
  const dx = values.length > 1 ? W / (values.length - 1) : W;
  let run = [];
  const flush = () => {
    if (run.length === 1) run.push([run[0][0] + 1, run[0][1]]);
    if (run.length > 1) s.append(svg('polyline', { points: run.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ') }));
    run = [];
  };
  values.forEach((v, i) => {
    if (v === null) { flush(); return; }
    run.push([i * dx, H - 1 - (v / max) * (H - 3)]);
  });
  flush();
  return s;
}

const last = (xs) => { for (let i = xs.length - 1; i >= 0; i--) if (xs[i] !== null) return xs[i]; return null; };

/** Three sparklines (requests a second, error %, p99) for one route, or for all of them. */
export function routeCharts(title, series, opts = {}) {
  const one = (label, values, kind, floor, fmt) => h('div', { class: 'spark' },
    h('div', {}, `${label} `, h('b', {}, last(values) === null ? '-' : fmt(last(values)))), sparkline(values, kind, floor));
  return h('div', { class: `chart-card ${opts.total ? 'total' : ''}`, 'data-route': title },
    h('div', { class: 'chart-title', title }, title),
    h('div', { class: 'sparks' },
      one('req/s', series.rps, 'rps', 1, num),
      one('errors', series.errorPct, 'err', 5, (x) => `${num(x)} %`),
      one('p99', series.p99Ms, 'p99', 1, ms)));
}
