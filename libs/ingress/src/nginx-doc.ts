// The three lists of docs/ingress-nginx.md, rendered from the data the build
// classifies with (nginx-annotations.ts), so the guide cannot drift from the code.
import { NGINX_ANNOTATIONS, type AnnotationList, type NginxAnnotation } from './nginx-annotations.ts';

export const DOC_BEGIN = '<!-- BEGIN generated from libs/ingress/src/nginx-annotations.ts (UPDATE_DOCS=1 node --test libs/ingress/src/nginx-annotations.test.ts) -->';
export const DOC_END = '<!-- END generated -->';

const cell = (s: string) => s.replace(/\|/g, '\\|');

function table(list: AnnotationList, head: string[], row: (a: NginxAnnotation) => string[]): string {
  const rows = NGINX_ANNOTATIONS.filter((a) => a.list === list).map((a) => `| ${[`\`${a.name}\``, a.group, ...row(a)].map(cell).join(' | ')} |`);
  return [`| annotation | area | ${head.join(' | ')} |`, `|${' --- |'.repeat(head.length + 2)}`, ...rows].join('\n');
}

/** The generated part of the guide, markers included. */
export function renderNginxLists(): string {
  const count = (l: AnnotationList) => NGINX_ANNOTATIONS.filter((a) => a.list === l).length;
  return [
    DOC_BEGIN,
    '',
    `All ${NGINX_ANNOTATIONS.length} annotations of ingress-nginx controller v1.15 (prefix \`nginx.ingress.kubernetes.io/\`): ` +
      `${count('supported')} supported, ${count('ignored')} ignored with a warning, ${count('refused')} refused.`,
    '',
    '### Supported',
    '',
    'With ingress-nginx\'s value syntax and defaults. Each has a `meshgate.dev/` name that does the same; where an Ingress sets both, the `meshgate.dev/` one wins.',
    '',
    table('supported', ['meshgate.dev equivalent', 'what meshgate does'], (a) => [`\`${a.meshgate}\``, a.why]),
    '',
    '### Ignored with a warning',
    '',
    'The Ingress is served; the warning shows in `meshgate get ingresses`, in `meshgate lint` and in the config service log.',
    '',
    table('ignored', ['why'], (a) => [a.why]),
    '',
    '### Refused',
    '',
    'The Ingress is rejected, with an error naming the annotation, and the rest of the mesh keeps serving. Some change nothing with some values (the last column): with those the Ingress is served.',
    '',
    table('refused', ['why', 'served anyway when'], (a) => [a.why, a.harmless?.when ?? '']),
    '',
    DOC_END,
  ].join('\n');
}

/** `doc` with its generated part replaced by the current one. */
export function withNginxLists(doc: string): string {
  const b = doc.indexOf(DOC_BEGIN);
  const e = doc.indexOf(DOC_END);
  if (b === -1 || e < b) throw new Error(`the guide has no generated part: put ${DOC_BEGIN} and ${DOC_END} where the lists go`);
  return doc.slice(0, b) + renderNginxLists() + doc.slice(e + DOC_END.length);
}
