import type { KeyObject } from 'node:crypto';
import { AdminAuthError, AdminMessageType, AdminVerifier, type AdminError, type ApplyRequest } from '@meshgate/protocol';
import type { Logger } from '@meshgate/telemetry';

/**
 * Who may change the mesh through `config.v1.admin`: with operator keys
 * (--operator-key) only an apply/delete signed by one of them, recently and
 * once (AdminVerifier); without, anyone who may publish there (warned at
 * start: then only NATS permissions stand between a login and the mesh).
 * `get` is never checked: it changes nothing.
 */
export class AdminAuthorizer {
  readonly #verifier: AdminVerifier | undefined;
  readonly #log: Logger;

  constructor(keys: readonly KeyObject[] | undefined, mesh: string, log: Logger) {
    this.#verifier = keys?.length ? new AdminVerifier({ keys, mesh }) : undefined;
    this.#log = log;
    if (!this.#verifier) log.warn('no --operator-key: apply and delete are accepted from any NATS user who may publish on config.v1.admin; pass the operators\' public keys to require their signature');
    else log.info('apply and delete need an operator signature', { operatorKeys: this.#verifier.keyIds });
  }

  /** An error reply for a request that may not change the mesh; undefined when it may. */
  refuse(req: ApplyRequest): AdminError | undefined {
    if (!this.#verifier) return undefined;
    try {
      const keyId = this.#verifier.check(req);
      this.#log.info(`${req.action} signed by operator key`, { keyId, files: req.files.length });
      return undefined;
    } catch (err) {
      if (!(err instanceof AdminAuthError)) throw err;
      this.#log.warn('admin request refused', { error: err.message });
      return { type: AdminMessageType.Error, message: err.message };
    }
  }
}
