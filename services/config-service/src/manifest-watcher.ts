import fs from 'node:fs';

/**
 * Watches the manifests directory and calls `onChange` once per burst of
 * changes (editors write a file in several steps).
 */
export function watchManifests(dir: string, onChange: (file: string) => void, debounceMs = 100): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(dir, { recursive: true }, (_event, file) => {
      last = String(file ?? '');
      clearTimeout(timer);
      timer = setTimeout(() => onChange(last), debounceMs);
    });
  } catch {
    // Missing directory: the config actor reports it on load; nothing to watch.
  }
  return { close() { clearTimeout(timer); watcher?.close(); } };
}
