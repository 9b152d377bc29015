import type { ParsedChunk, RawObject } from './parse-documents.ts';
import type { TextChunk } from './split-documents.ts';

interface Entry<T> {
  value: T;
  /** The last build that used it. */
  used: number;
}

/** What the last build did: how much it parsed and how much it reused. */
export interface BuildCacheStats {
  /** YAML documents (chunks) parsed / found unchanged. */
  parsedDocuments: number;
  reusedDocuments: number;
  /** JSON files parsed / found unchanged. */
  parsedJsonFiles: number;
  reusedJsonFiles: number;
  /** Objects validated / whose validation was reused. */
  validatedObjects: number;
  reusedObjects: number;
}

/**
 * What one build can hand to the next: each YAML document parsed, by file
 * path and the document's text (so a change re-parses only the documents it
 * touched: YAML parsing is most of a build), JSON files by path and text,
 * and per-object validation by object (see collect-objects.ts). Entries the
 * last two builds did not use are dropped, so the cache holds about one
 * manifest set. One cache per config service; builds must not interleave.
 */
export class BuildCache {
  #build = 0;
  readonly #chunks = new Map<string, Map<string, Entry<ParsedChunk>>>();
  readonly #json = new Map<string, Entry<{ text: string; objects: RawObject[] | undefined }>>();
  readonly #splits = new Map<string, Entry<{ text: string; chunks: TextChunk[] }>>();
  /** Per raw object (stable while its document's text, file and line are): anything derived from it alone. */
  readonly objects = new WeakMap<RawObject, unknown>();
  stats: BuildCacheStats = emptyStats();

  beginBuild(): void {
    this.#build++;
    this.stats = emptyStats();
  }

  /** Drops what neither this build nor the one before used (an apply builds a candidate, then the directory changes under it). */
  endBuild(): void {
    const keep = this.#build - 1;
    for (const [path, chunks] of this.#chunks) {
      for (const [text, e] of chunks) if (e.used < keep) chunks.delete(text);
      if (chunks.size === 0) this.#chunks.delete(path);
    }
    for (const [path, e] of this.#json) if (e.used < keep) this.#json.delete(path);
    for (const [path, e] of this.#splits) if (e.used < keep) this.#splits.delete(path);
  }

  /** A file's documents, split again only when its text changed (the same text is often the very same string: no scan at all). */
  split(path: string, text: string, split: (text: string) => TextChunk[]): TextChunk[] {
    const hit = this.#splits.get(path);
    if (hit && hit.value.text === text) {
      hit.used = this.#build;
      return hit.value.chunks;
    }
    const chunks = split(text);
    this.#splits.set(path, { value: { text, chunks }, used: this.#build });
    return chunks;
  }

  chunk(path: string, text: string, parse: () => ParsedChunk): ParsedChunk {
    let byText = this.#chunks.get(path);
    if (!byText) this.#chunks.set(path, (byText = new Map()));
    const hit = byText.get(text);
    if (hit) {
      hit.used = this.#build;
      this.stats.reusedDocuments++;
      return hit.value;
    }
    const value = parse();
    byText.set(text, { value, used: this.#build });
    this.stats.parsedDocuments++;
    return value;
  }

  json(path: string, text: string, parse: () => RawObject[] | undefined): RawObject[] | undefined {
    const hit = this.#json.get(path);
    if (hit && hit.value.text === text) {
      hit.used = this.#build;
      this.stats.reusedJsonFiles++;
      return hit.value.objects;
    }
    const objects = parse();
    this.#json.set(path, { value: { text, objects }, used: this.#build });
    this.stats.parsedJsonFiles++;
    return objects;
  }
}

function emptyStats(): BuildCacheStats {
  return { parsedDocuments: 0, reusedDocuments: 0, parsedJsonFiles: 0, reusedJsonFiles: 0, validatedObjects: 0, reusedObjects: 0 };
}
