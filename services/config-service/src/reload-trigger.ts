/**
 * Reloads asked for by the watcher, one at a time: a request made while one
 * runs (or waits in the actor's mailbox) makes exactly one more after it,
 * which reads the directory after that request. So a burst of changes
 * during a long rebuild costs one more rebuild, not one per change, and no
 * change is left unread. Requests made before `connect` (the actor is still
 * starting) wait for it.
 */
export function reloadTrigger(): { request(reason: string): void; connect(reload: (reason: string) => Promise<unknown>): void } {
  let reload: ((reason: string) => Promise<unknown>) | undefined;
  let running = false;
  let pending: string | undefined;
  const run = () => {
    if (!reload || running || pending === undefined) return;
    const reason = pending;
    pending = undefined;
    running = true;
    reload(reason).catch(() => { /* the actor logs its own failures */ }).finally(() => { running = false; run(); });
  };
  return {
    request(reason) { pending = reason; run(); },
    connect(fn) { reload = fn; run(); },
  };
}
