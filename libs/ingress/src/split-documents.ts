/** A run of a YAML file's text that the parser can read on its own. */
export interface TextChunk {
  text: string;
  /** 1-based line of the chunk's first character in the file. */
  line: number;
  /** Offset of the chunk's first character in the file. */
  offset: number;
}

/** What may follow `---` for it to be a document marker (YAML 1.2 c-directives-end, then white space or line end). */
const isMarkerEnd = (c: number) => Number.isNaN(c) || c === 32 || c === 9 || c === 13 || c === 10;

/**
 * Cuts a YAML stream at its document markers, so each document is parsed,
 * cached and reported on its own: editing one object of a thousand-document
 * file re-parses one document. Cutting there never changes what a document
 * says: YAML forbids a line starting with `---` inside any scalar or
 * collection, so a parser ends the document at that line whatever came
 * before. Streams with directives are left whole (a directive belongs to the
 * document after the marker).
 */
export function splitDocuments(text: string): TextChunk[] {
  // A `%` at the start of a line may be a directive (%YAML, %TAG), which applies across a marker: no split.
  if (text.charCodeAt(0) === 37 || text.includes('\n%')) return [{ text, line: 1, offset: 0 }];
  const out: TextChunk[] = [];
  let start = 0;
  let line = 1;
  // indexOf, not a multiline RegExp: a build scans megabytes of unchanged manifests.
  for (let i = text.indexOf('\n---'); i !== -1; i = text.indexOf('\n---', i + 4)) {
    if (!isMarkerEnd(text.charCodeAt(i + 4))) continue;
    out.push({ text: text.slice(start, i + 1), line, offset: start });
    line += countLines(text, start, i + 1);
    start = i + 1;
  }
  out.push({ text: start === 0 ? text : text.slice(start), line, offset: start });
  return out;
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
