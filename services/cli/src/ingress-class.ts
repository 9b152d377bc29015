import { UsageError, type FlagSpec, type FlagValue } from './flags.ts';

/** `--ingress-class` of config-service, up and lint. */
export const ingressClassFlag = (fallback: string): FlagSpec => ({
  type: 'string', default: fallback,
  help: 'IngressClass names served, a comma list (class nginx, or an IngressClass of controller k8s.io/ingress-nginx, gets ingress-nginx\'s defaults: docs/ingress-nginx.md)',
});

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The flag's value as a clean comma list, or a UsageError naming the bad name. */
export function ingressClassesOf(cmd: string, flags: Record<string, FlagValue | undefined>): string {
  const names = String(flags['ingress-class']).split(',').map((n) => n.trim());
  for (const n of names) {
    if (n === '' || n.length > 253 || !NAME.test(n)) {
      throw new UsageError(`meshgate ${cmd}: --ingress-class expects IngressClass names separated by commas (lowercase letters, digits, '-' and '.'), got '${flags['ingress-class']}'`);
    }
  }
  return names.join(',');
}
