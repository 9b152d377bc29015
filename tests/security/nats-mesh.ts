/**
 * A mesh logging in to a secured nats-server: config service (signing),
 * one proxy node and one health agent (both verifying), each with its own
 * NATS flags and environment, as an operator would run them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNatsSecurity, type NatsSecurity } from '@meshgate/actors';
import { generateSigningKeyPair, keyIdOf, loadSigningKey, loadTrustKey } from '@meshgate/protocol';
import { configServiceStarted, spawnMeshgate, freePort, type Proc } from '@meshgate/testing';
import { makeMeshDir, ready, type MeshDir, type ProxyProc } from '../control-plane/mesh.ts';

/** How one process logs in: extra flags, environment, and another NATS URL than the mesh's. */
export interface Login { args?: string[]; env?: NodeJS.ProcessEnv; nats?: string }

/** The documented permissions (docs/security.md), with demo passwords `<user>-demo-pass`. */
export const AUTH_CONF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../infra/compose/nats/auth.conf');
/** A meshgate process logged in as an auth.conf user (through its environment). */
export const as = (user: string): Login => ({ env: { MESHGATE_NATS_USER: user, MESHGATE_NATS_PASS: `${user}-demo-pass` } });
/** A test's own NATS connection as an auth.conf user. */
export const loginOf = (user: string): NatsSecurity => loadNatsSecurity({ user, pass: `${user}-demo-pass` });

/** An Ed25519 key pair written to `dir` as `<name>-signing.pem` (0600) and `<name>-trust.pem`. */
export function keyPairIn(dir: string, name: string) {
  const pair = generateSigningKeyPair();
  const signing = path.join(dir, `${name}-signing.pem`);
  const trust = path.join(dir, `${name}-trust.pem`);
  fs.writeFileSync(signing, pair.privatePem, { mode: 0o600 });
  fs.writeFileSync(trust, pair.publicPem);
  return { signing, trust, key: loadSigningKey(pair.privatePem), keyId: keyIdOf(loadTrustKey(pair.publicPem)) };
}

export interface SecuredMesh {
  m: MeshDir;
  configService: Proc;
  proxy: ProxyProc;
  agent: Proc;
  stop(): Promise<void>;
}

export async function startSecuredMesh(natsUrl: string, login: { configService: Login; proxy: Login; agent: Login }, m?: MeshDir): Promise<SecuredMesh> {
  m ??= await makeMeshDir();
  const configService = spawnMeshgate(['config-service', '--nats', login.configService.nats ?? natsUrl, '--manifests', m.manifests, '--signing-key', m.signing, ...login.configService.args ?? []], { env: login.configService.env ?? {} });
  // The proxy and the agent start once the config service has created the KV bucket (configServiceStarted).
  await configServiceStarted(configService).catch(async (err: unknown) => {
    await configService.stop();
    throw err;
  });
  const [http, https, admin] = [await freePort(), await freePort(), await freePort()];
  const nodeId = 'secured-1';
  const proc = spawnMeshgate(['proxy', '--nats', login.proxy.nats ?? natsUrl, '--workers', '1', '--http', `127.0.0.1:${http}`, '--https', `127.0.0.1:${https}`, '--admin', `127.0.0.1:${admin}`,
    '--node-id', nodeId, '--trust-key', m.trust, '--state-dir', path.join(m.dir, nodeId), ...login.proxy.args ?? []], { env: login.proxy.env ?? {} });
  const agent = spawnMeshgate(['health-agent', '--nats', login.agent.nats ?? natsUrl, '--agent-id', 'secured-agent', '--trust-key', m.trust, ...login.agent.args ?? []], { env: login.agent.env ?? {} });
  const proxy: ProxyProc = { proc, http, admin, nodeId };
  const stop = async () => { await Promise.all([proc.stop(), agent.stop()]); await configService.stop(); };
  try {
    // Ready = the signed snapshot came over the secured connection and every worker applied it.
    await ready(proxy, 30_000);
    await agent.waitFor('"probing endpoints"', 30_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\nconfig service:\n${configService.output().slice(-2000)}\nproxy:\n${proc.output().slice(-2000)}\nagent:\n${agent.output().slice(-2000)}`);
  }
  return { m, configService, proxy, agent, stop };
}

/** Runs a short CLI command to its end with `login`. */
export async function cliAs(login: Login, args: string[]): Promise<{ code: number | string; out: string }> {
  const p = spawnMeshgate([...args, ...login.args ?? []], { env: login.env ?? {} });
  const code = await p.exited;
  return { code, out: p.output() };
}
