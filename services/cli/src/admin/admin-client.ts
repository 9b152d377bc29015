import { NatsConnectError, NatsTransport } from '@meshgate/actors';
import { AdminMessageType, msgpackCodec, subjects, type AdminError, type AdminRequest } from '@meshgate/protocol';
import type { FlagValue } from '../flags.ts';
import { natsConnectMessage, natsSecurityFrom } from '../common.ts';
import { contextUsed } from './context.ts';

/** Thrown for conditions the user fixes (no NATS, no config service): printed as one line, exit 1. */
export class AdminUnavailableError extends Error {
  readonly code = 'MESHGATE_ADMIN_UNAVAILABLE';
}

/** A short-lived NATS connection for one CLI command, failing fast when NATS is not there. */
export async function connectAdmin(flags: Record<string, FlagValue | undefined>, cmd: string, timeoutMs = 5_000): Promise<NatsTransport> {
  const servers = String(flags.nats).split(',').map((s) => s.trim()).filter(Boolean);
  const security = natsSecurityFrom(flags);
  try {
    return await NatsTransport.connect({
      servers, name: `meshgate ${cmd}`, codec: msgpackCodec, reconnect: false, reconnectTimeWaitMs: 250, security,
      firstConnectTimeoutMs: timeoutMs,
    });
  } catch (err) {
    if (!(err instanceof NatsConnectError)) throw err;
    const within = err.fatal ? '' : ` (for ${timeoutMs / 1000} s)`;
    const ctx = contextUsed(flags);
    const from = ctx ? ` (NATS settings from ${ctx}, written by meshgate up: is it still running? --nats or --context picks another mesh)` : '';
    throw new AdminUnavailableError(`meshgate ${cmd}: ${natsConnectMessage(err)}${within}${from}`);
  }
}

export async function adminRequest<R>(t: NatsTransport, flags: Record<string, FlagValue | undefined>, cmd: string, req: AdminRequest, timeoutMs = 60_000): Promise<R> {
  const prefix = String(flags['subject-prefix'] ?? 'meshgate');
  const subject = subjects(prefix).admin;
  let reply: unknown;
  try {
    reply = await t.request(subject, req, timeoutMs);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'MESHGATE_NO_RESPONDERS') throw new AdminUnavailableError(`meshgate ${cmd}: no config service answers on ${subject}: start "meshgate config-service" (same --nats and --subject-prefix ${prefix})`);
    if (code === 'MESHGATE_ASK_TIMEOUT') throw new AdminUnavailableError(`meshgate ${cmd}: the config service did not answer within ${timeoutMs / 1000} s`);
    throw err;
  }
  if ((reply as AdminError)?.type === AdminMessageType.Error) throw new AdminUnavailableError(`meshgate ${cmd}: the config service says: ${(reply as AdminError).message}`);
  return reply as R;
}
