import { loadManifestDir, type ManifestReadCache, type MeshConfig, type SourceFile } from '@meshgate/ingress';
import { sourcesOf, type AppliedState } from './applied-objects.ts';

/**
 * The manifests directory as the config service builds from it: its files
 * as last read, and each file's text as it last parsed. (The watcher,
 * manifest-watcher.ts, says when to read it again.)
 */
export class ManifestSource {
  readonly dir: string;
  /** The files as last read. */
  files: SourceFile[] = [];
  readonly #build: (files: SourceFile[]) => MeshConfig;
  /** Manifest files' texts by path and stat: an apply re-reads the directory, rarely anything in it changed. */
  readonly #readCache: ManifestReadCache = new Map();
  /** Each manifest file's text as it last parsed: a file that stops parsing is served from it (see build). */
  readonly #lastGoodText = new Map<string, string>();

  constructor(dir: string, build: (files: SourceFile[]) => MeshConfig) {
    this.dir = dir;
    this.#build = build;
  }

  /** Reads the directory; throws when it cannot (the last read is kept). */
  read(): void {
    this.files = loadManifestDir(this.dir, this.#readCache);
  }

  /** read(), keeping the last good read when the directory cannot be read. */
  readOrKeep(): void {
    try { this.read(); } catch { /* keep the last good read */ }
  }

  /**
   * Builds from the files and `objects`, but a file that no longer
   * parses (a YAML syntax error mid-edit, a file overwritten with binary) is
   * built from its last good text, with its parse errors still reported:
   * like a kubectl apply of a broken file, it changes nothing until it
   * parses again.
   */
  build(objects: AppliedState): MeshConfig {
    const dirFiles = this.files;
    const lastGoodText = this.#lastGoodText;
    let cfg = this.#build(sourcesOf(dirFiles, objects));
    const fileLevel = (e: MeshConfig['errors'][number]) => !e.kind && !e.name && e.file !== '';
    const unparsable = new Set(cfg.errors.filter(fileLevel).map((e) => e.file));
    const substitute = dirFiles.filter((f) => unparsable.has(f.path) && lastGoodText.has(f.path) && lastGoodText.get(f.path) !== f.text);
    if (substitute.length > 0) {
      const kept = new Set(substitute.map((f) => f.path));
      const parseErrors = cfg.errors.filter((e) => fileLevel(e) && kept.has(e.file))
        .map((e) => ({ ...e, message: `${e.message}; serving this file's last good version until it parses again` }));
      const files = dirFiles.map((f) => (kept.has(f.path) ? { ...f, text: lastGoodText.get(f.path)! } : f));
      const rebuilt = this.#build(sourcesOf(files, objects));
      cfg = { ...rebuilt, errors: [...parseErrors, ...rebuilt.errors] };
    }
    for (const f of dirFiles) if (!unparsable.has(f.path)) lastGoodText.set(f.path, f.text);
    return cfg;
  }
}
