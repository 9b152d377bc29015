import fs from 'node:fs';

/**
 * Watches the manifests directory and calls `onChange` once per burst of
 * changes (editors write a file in several steps).
 *
 * After every burst the watcher is re-armed from scratch: Node's recursive
 * fs.watch on Linux loses a file that was replaced by rename (how vim, `sed
 * -i`, `git checkout` and write-then-move save), and it stays on the old
 * inode when the directory itself is moved away and back. A watch that
 * cannot be set up (directory missing) is retried every `retryMs`, and the
 * directory's identity is checked on the same timer, so a directory swapped
 * in place is picked up too.
 */
export function watchManifests(dir: string, onChange: (file: string) => void, debounceMs = 100, retryMs = 1_000): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  let watcher: fs.FSWatcher | undefined;
  let identity = '';
  let closed = false;

  const idOf = (): string => {
    try { const st = fs.statSync(dir); return `${st.dev}:${st.ino}`; } catch { return ''; }
  };
  const fire = (file: string) => {
    last = file;
    clearTimeout(timer);
    timer = setTimeout(() => { arm(); onChange(last); }, debounceMs);
  };
  const arm = () => {
    watcher?.close();
    watcher = undefined;
    if (closed) return;
    identity = idOf();
    try {
      watcher = fs.watch(dir, { recursive: true }, (_event, file) => fire(String(file ?? '')));
      watcher.on('error', () => { watcher?.close(); watcher = undefined; });
    } catch {
      // Missing directory: the config actor reports it on load; the poll below re-arms.
    }
  };
  arm();
  const poll = setInterval(() => {
    const now = idOf();
    if (now !== identity || (!watcher && now !== '')) fire('(directory replaced)');
  }, retryMs);
  poll.unref();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    },
  };
}
