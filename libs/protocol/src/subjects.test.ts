import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subjects, nodeSubject, allNodesSubject, isFromOwnSubject, fromOwnSubjectOnly, nodeIdProblem, toNodeId } from './subjects.ts';

const S = subjects();

test('heartbeats and ACKs go on a subject per node', () => {
  assert.equal(nodeSubject(S.heartbeat, 'proxy-1'), 'meshgate.node.v1.heartbeat.proxy-1');
  assert.equal(nodeSubject(S.ack, 'edge.eu-west.3'), 'meshgate.config.v1.ack.edge.eu-west.3');
  assert.equal(allNodesSubject(S.ack), 'meshgate.config.v1.ack.>');
});

test('a message counts only on its own node subject', () => {
  assert.ok(isFromOwnSubject(S.heartbeat, 'meshgate.node.v1.heartbeat.proxy-1', 'proxy-1'));
  assert.ok(isFromOwnSubject(S.ack, 'meshgate.config.v1.ack.a.b', 'a.b'));
  assert.ok(!isFromOwnSubject(S.heartbeat, 'meshgate.node.v1.heartbeat.proxy-2', 'proxy-1'), 'another node');
  assert.ok(!isFromOwnSubject(S.heartbeat, 'meshgate.node.v1.heartbeat.proxy-1', 'proxy-1.x'), 'a longer id');
  assert.ok(!isFromOwnSubject(S.heartbeat, 'meshgate.node.v1.heartbeat.a.b', 'b'), 'a suffix only');
  assert.ok(!isFromOwnSubject(S.heartbeat, 'meshgate.node.v1.heartbeat', ''), 'the bare base');
  assert.ok(!isFromOwnSubject(S.heartbeat, 'meshgate.node.v1.heartbeat.1', 1), 'not a string');
});

test('node ids that cannot be a subject token are refused with the rule', () => {
  for (const ok of ['proxy-1', 'ip-10-0-0-1.ec2.internal', 'a_b', 'N1']) assert.equal(nodeIdProblem(ok), undefined, ok);
  for (const bad of ['', 'a b', 'a..b', '.a', 'a.', 'a*', 'a>', 'proxy/1', 'ünï', 'x'.repeat(201)]) {
    assert.ok(nodeIdProblem(bad), JSON.stringify(bad));
  }
  assert.match(nodeIdProblem('a b')!, /letters, digits/);
});

test('defaults made from host names are always usable', () => {
  for (const h of ['web 01', 'host.local.', '..', 'über-box', '', 'a..b']) {
    const id = toNodeId(`${h}-123`);
    assert.equal(nodeIdProblem(id), undefined, `${JSON.stringify(h)} -> ${id}`);
  }
  assert.equal(toNodeId('edge-1.example.com-42'), 'edge-1.example.com-42');
});

test('fromOwnSubjectOnly passes own-subject messages and reports others once a minute per subject and claim', () => {
  const got: string[] = [];
  const reported: string[] = [];
  const h = fromOwnSubjectOnly<{ nodeId?: unknown }>(S.heartbeat, (d) => got.push(String(d.nodeId)), (subject, id) => reported.push(`${subject} ${String(id)}`));
  h({ subject: 'meshgate.node.v1.heartbeat.a', data: { nodeId: 'a' } });
  h({ subject: 'meshgate.node.v1.heartbeat.a', data: { nodeId: 'b' } });
  h({ subject: 'meshgate.node.v1.heartbeat.a', data: { nodeId: 'b' } });
  h({ subject: 'meshgate.node.v1.heartbeat.a', data: { nodeId: 'c' } });
  h({ subject: 'meshgate.node.v1.heartbeat.a', data: undefined });
  assert.deepEqual(got, ['a']);
  assert.deepEqual(reported, ['meshgate.node.v1.heartbeat.a b', 'meshgate.node.v1.heartbeat.a c', 'meshgate.node.v1.heartbeat.a undefined']);
});

test('metrics summaries go on a subject per node, under node.v1 like heartbeats', () => {
  assert.equal(nodeSubject(S.metrics, 'proxy-1'), 'meshgate.node.v1.metrics.proxy-1');
  assert.equal(subjects('mesh-b').metrics, 'mesh-b.node.v1.metrics');
});
