import { randomBytes } from 'node:crypto';
import { subjects } from '@meshgate/protocol';

/** One component's NATS login: user and a random password, given to it through the environment. */
export interface NatsLogin { readonly user: string; readonly pass: string }

export interface UpNatsAuth {
  /** The `authorization` block for nats-server's config. */
  readonly config: string;
  readonly configService: NatsLogin;
  /** One login per proxy node, in the order of `nodeIds`: each may report only for itself. */
  readonly proxies: readonly NatsLogin[];
  readonly agent: NatsLogin;
  readonly operator: NatsLogin;
}

/**
 * The users and subject permissions `meshgate up` runs nats-server with:
 * those of infra/compose/nats/auth.conf (docs/security.md explains each),
 * for the mesh's subject prefix, with a login of its own per proxy node and
 * random passwords made at every start.
 */
export function upNatsAuth(prefix: string, nodeIds: readonly string[]): UpNatsAuth {
  const s = subjects(prefix);
  const kv = `KV_${s.kvBucket}`;
  const kvRead = ['$JS.API.INFO', `$JS.API.STREAM.INFO.${kv}`, `$JS.API.STREAM.MSG.GET.${kv}`, `$JS.API.DIRECT.GET.${kv}.>`];
  const flows = [s.snapshot, s.endpoints, s.routes];
  const login = (user: string): NatsLogin => ({ user, pass: randomBytes(24).toString('base64url') });
  const configService = login('config-service');
  const proxies = nodeIds.map((id) => login(id));
  const agent = login('health-agent');
  const operator = login('operator');
  const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  const user = (l: NatsLogin, pub: readonly string[], sub?: readonly string[], responses = true) => `    { user: ${JSON.stringify(l.user)}, password: ${JSON.stringify(l.pass)}, permissions: {
        publish: { allow: ${list(pub)} }${sub ? `\n        subscribe: { allow: ${list(sub)} }` : ''}${responses ? '\n        allow_responses: true' : ''}
    } }`;
  const users = [
    user(configService, [`${prefix}.config.>`, '$JS.API.>', `$KV.${s.kvBucket}.>`, s.healthStatus]),
    ...proxies.map((l, i) => user(l,
      [`${s.heartbeat}.${nodeIds[i]}`, `${s.metrics}.${nodeIds[i]}`, `${s.ack}.${nodeIds[i]}`, `${s.limits}.${nodeIds[i]}`, s.snapshotGet, ...kvRead],
      [...flows, `${prefix}.health.>`, `${s.limits}.>`, '_INBOX.>'])),
    user(agent, [`${prefix}.health.>`, s.snapshotGet, ...kvRead], [...flows, `${prefix}.node.>`, `${prefix}.health.>`, '_INBOX.>']),
    user(operator, [s.admin, s.snapshotGet, s.healthStatus, ...kvRead], ['_INBOX.>'], false),
  ];
  return { config: `authorization {\n  users: [\n${users.join('\n')}\n  ]\n}`, configService, proxies, agent, operator };
}
