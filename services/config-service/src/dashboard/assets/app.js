// The meshgate dashboard: one EventSource; each event replaces one section of the state and re-renders it.
import { h, table, replace, pill, problems, ago, since, tickAges, ms, num } from './dom.js';
import { routeCharts } from './charts.js';

const state = { summary: null, nodes: [], objects: null, routing: null, changes: [], health: null, metrics: null };

const stateKind = { up: 'ok', down: 'bad', leaving: 'warn', served: 'ok', rejected: 'bad', ignored: '' };

function renderSummary() {
  const s = state.summary;
  if (!s) return;
  replace('summary',
    h('span', {}, 'snapshot ', h('b', { id: 'version', 'data-version': s.version }, `v${s.version}`), ' ', h('span', { class: 'mono' }, s.hash)),
    h('span', {}, h('b', {}, s.rules), ' rules'),
    h('span', {}, h('b', {}, s.backends), ' backends'),
    h('span', {}, h('b', {}, s.certificates), ' certificates'),
    s.errors ? h('span', {}, h('b', {}, s.errors), ' errors') : null,
    h('span', {}, s.signed ? `signed ${s.signed}` : 'unsigned'),
    h('span', { title: s.manifests }, s.store));
}

function lag(n) {
  if (n.behindSince) return h('span', { class: 'err' }, 'behind for ', since(n.behindSince));
  return n.ackMs !== undefined ? h('span', {}, `in sync (ACK ${ms(n.ackMs)})`) : h('span', { class: 'muted' }, 'in sync');
}

function renderNodes() {
  const rps = state.metrics?.nodes ?? {};
  replace('nodes-count', `${state.nodes.filter((n) => n.state === 'up').length}/${state.nodes.length} up`);
  if (state.nodes.length === 0) { replace('nodes', h('div', { class: 'empty' }, 'No proxy node has reported yet.')); return; }
  replace('nodes', table(['Node', 'State', 'Serves', 'ACK lag', 'Workers', 'Ready', 'req/s', 'Last NACK'], state.nodes.map((n) => h('tr', { 'data-node': n.nodeId, 'data-state': n.state, 'data-version': n.version },
    h('td', { class: 'mono', title: n.admin }, n.nodeId),
    h('td', {}, pill(n.state, stateKind[n.state])),
    h('td', { class: 'mono' }, `v${n.version}`),
    h('td', {}, lag(n)),
    h('td', {}, n.workers),
    h('td', {}, n.ready ? pill('ready', 'ok') : pill('not ready', 'warn')),
    h('td', {}, rps[n.nodeId] !== undefined ? num(rps[n.nodeId]) : '-'),
    h('td', { class: 'err' }, n.nack ? `v${n.nack.version}: ${n.nack.error}` : '')))));
}

function renderObjects() {
  const o = state.objects;
  if (!o) return;
  const kinds = [...new Set(o.objects.map((x) => x.kind))];
  replace('objects-count', kinds.map((k) => `${o.objects.filter((x) => x.kind === k).length} ${k}`).join(', '));
  const rows = o.objects.map((x) => h('tr', { 'data-object': `${x.kind}/${x.namespace}/${x.name}`, 'data-state': x.state },
    h('td', {}, x.kind),
    h('td', { class: 'mono' }, `${x.namespace}/${x.name}`),
    h('td', {}, pill(x.state, stateKind[x.state] ?? ''), x.applied ? h('span', { class: 'muted' }, ' applied') : null, x.reason ? h('div', { class: 'muted' }, x.reason) : null),
    h('td', {}, x.rules),
    h('td', { class: 'mono muted' }, `${x.file}${x.line !== undefined ? `:${x.line}` : ''}`),
    h('td', {}, problems(x.errors, x.warnings))));
  replace('objects',
    rows.length ? table(['Kind', 'Name', 'Status', 'Rules', 'Source', 'Errors and warnings'], rows) : h('div', { class: 'empty' }, 'No routing objects.'),
    o.unparsable.length ? [h('div', { class: 'section-title err' }, 'Files that could not be parsed (everything else is served)'),
      table(['File', 'Error'], o.unparsable.map((u) => h('tr', { 'data-unparsable': u.file }, h('td', { class: 'mono' }, `${u.file}${u.line !== undefined ? `:${u.line}` : ''}`), h('td', { class: 'err' }, u.error))))] : null,
    o.rejected.length ? [h('div', { class: 'section-title err' }, 'Rejected by meshgate apply (the previous version keeps serving)'),
      table(['Object', 'When', 'Errors'], o.rejected.map((r) => h('tr', {}, h('td', { class: 'mono' }, r.resource), h('td', {}, ago(r.at)), h('td', {}, problems(r.errors)))))] : null,
    o.otherErrors.length ? [h('div', { class: 'section-title err' }, 'Other manifest errors'), problems(o.otherErrors)] : null);
}

function healthCell(id) {
  const e = state.health?.endpoints?.[id];
  if (!e) return [h('td', {}, pill(state.health?.agent ? 'not probed' : 'unknown')), h('td', { class: 'muted' }, state.health?.agent ? '' : 'no health agent answered'), h('td', {})];
  return [
    h('td', {}, e.healthy ? pill('healthy', 'ok') : pill('unhealthy', 'bad')),
    h('td', { class: e.healthy ? '' : 'err' }, e.reason, ' ', h('span', { class: 'muted' }, '(since '), ago(e.since), h('span', { class: 'muted' }, ')')),
    h('td', { class: 'muted mono' }, e.check ?? ''),
  ];
}

function renderBackends() {
  const r = state.routing;
  if (!r) return;
  const rows = [];
  let down = 0;
  for (const b of r.backends) {
    if (b.endpoints.length === 0) rows.push(h('tr', { 'data-backend': b.id }, h('td', { class: 'mono' }, b.id), h('td', { class: 'muted' }, '(none)'), h('td', {}), h('td', {}, pill('no endpoints', 'warn')), h('td', {}), h('td', {})));
    for (const [id, node] of b.endpoints) {
      const e = state.health?.endpoints?.[id];
      if (e && !e.healthy) down++;
      rows.push(h('tr', { 'data-backend': b.id, 'data-endpoint': id, 'data-health': e ? (e.healthy ? 'healthy' : 'unhealthy') : 'unknown' },
        h('td', { class: 'mono' }, b.id), h('td', { class: 'mono' }, id), h('td', { class: 'muted' }, node ?? ''), ...healthCell(id)));
    }
  }
  replace('backends-count', `${r.backends.length} backends${down ? `, ${down} endpoint(s) down` : ''}${state.health?.agent ? ` (health from ${state.health.agent})` : ''}`);
  replace('backends', rows.length ? table(['Backend', 'Endpoint', 'Node', 'Health', 'Why', 'Check'], rows) : h('div', { class: 'empty' }, 'No backends.'));
}

function renderRules() {
  const r = state.routing;
  if (!r) return;
  replace('rules-count', `${r.rules.length}`);
  if (!document.getElementById('rules-details').open) return;
  const f = document.getElementById('rules-filter').value.trim().toLowerCase();
  const match = r.rules.filter((x) => !f || x.some((v) => String(v).toLowerCase().includes(f)));
  const shown = match.slice(0, 500);
  replace('rules', table(['Host', 'Path', 'Type', 'Backend', 'Ingress'], shown.map(([host, path, type, backend, ingress]) => h('tr', {},
    h('td', { class: 'mono' }, host || '*'), h('td', { class: 'mono' }, path), h('td', { class: 'muted' }, type), h('td', { class: 'mono' }, backend), h('td', { class: 'mono' }, ingress)))),
  match.length > shown.length ? h('div', { class: 'muted' }, `${match.length - shown.length} more: narrow the filter`) : null,
  r.defaultBackend ? h('div', { class: 'muted' }, `default backend ${r.defaultBackend.backend} (from ${r.defaultBackend.ingress})`) : null);
}

function changeWhat(c) {
  const parts = [];
  if (c.ingresses.length) parts.push(`Ingress ${c.ingresses.join(', ')}`);
  if (c.rulesAdded || c.rulesRemoved) parts.push(`rules +${c.rulesAdded} −${c.rulesRemoved}`);
  if (c.backends.length) parts.push(`${c.kind === 'endpoints' ? 'endpoints of' : 'backends'} ${c.backends.join(', ')}`);
  if (c.certificates.length) parts.push(`certificates ${c.certificates.join(', ')}`);
  if (c.more) parts.push(`and ${c.more} more`);
  return parts.join('; ') || 'nothing routed changed';
}

function renderChanges() {
  if (state.changes.length === 0) { replace('changes', h('div', { class: 'empty' }, 'No change published since this config service started.')); return; }
  const nodes = state.nodes.filter((n) => n.state !== 'down').map((n) => n.nodeId);
  replace('changes', table(['Version', 'When', 'How', 'What changed', 'Why', 'Applied by the nodes'], state.changes.map((c) => {
    const applied = Object.entries(c.applied);
    const waiting = nodes.filter((n) => c.applied[n] === undefined);
    return h('tr', { 'data-change': c.version },
      h('td', { class: 'mono' }, `v${c.version}`), h('td', {}, ago(c.at)),
      h('td', {}, pill(c.kind === 'full' ? 'snapshot' : c.kind === 'routes' ? 'route delta' : 'endpoint delta')),
      h('td', {}, changeWhat(c)), h('td', { class: 'muted mono' }, c.reason),
      h('td', {}, applied.length ? applied.map(([n, t]) => h('div', { class: 'mono' }, `${n}: ${ms(t)}`)) : null,
        waiting.length ? h('div', { class: 'warnt' }, `waiting: ${waiting.join(', ')}`) : null));
  })));
}

function renderTraffic() {
  const m = state.metrics;
  if (!m) { replace('traffic', h('div', { class: 'empty' }, 'No requests served yet.')); return; }
  const minutes = Math.round((m.total.rps.length * m.bucketMs) / 60000);
  replace('traffic-hint', `last ${minutes} min, a point per ${m.bucketMs / 1000} s; the ${m.top.length} busiest routes charted`);
  replace('traffic',
    h('div', { class: 'charts' }, routeCharts('All routes', m.total, { total: true }), m.top.map((r) => routeCharts(r.route, r))),
    m.table.length ? table(['Route (Ingress → Service)', 'req/s', 'errors', 'p99'], m.table.map(([route, rps, err, p99]) => h('tr', { 'data-route-row': route },
      h('td', { class: 'mono' }, route), h('td', {}, num(rps)), h('td', { class: err > 0 ? 'err' : '' }, `${num(err)} %`), h('td', {}, ms(p99))))) : h('div', { class: 'empty' }, 'Nothing served in the last minute.'));
  renderNodes();
}

const render = {
  summary: renderSummary, nodes: () => { renderNodes(); renderChanges(); }, objects: renderObjects,
  routing: () => { renderBackends(); renderRules(); }, changes: renderChanges, health: renderBackends, metrics: renderTraffic,
};

function connect() {
  const live = document.getElementById('live');
  const es = new EventSource('/api/events');
  es.addEventListener('state', (ev) => {
    Object.assign(state, JSON.parse(ev.data));
    state.nodes ??= [];
    state.changes ??= [];
    for (const f of new Set(Object.values(render))) f();
    live.dataset.live = 'open';
    live.textContent = 'live';
  });
  for (const name of ['summary', 'nodes', 'objects', 'routing', 'changes', 'metrics']) {
    es.addEventListener(name, (ev) => { state[name] = JSON.parse(ev.data); render[name](); });
  }
  es.addEventListener('health-delta', (ev) => {
    const d = JSON.parse(ev.data);
    state.health ??= { endpoints: {} };
    state.health.agent = d.agent;
    state.health.at = d.at;
    for (const [k, v] of Object.entries(d.endpoints)) { if (v === null) delete state.health.endpoints[k]; else state.health.endpoints[k] = v; }
    renderBackends();
  });
  es.onerror = () => { live.dataset.live = 'closed'; live.textContent = 'reconnecting…'; };
}

document.getElementById('rules-details').addEventListener('toggle', renderRules);
document.getElementById('rules-filter').addEventListener('input', renderRules);
setInterval(tickAges, 1000);
connect();
