// Format checks matching the Kubernetes API server's validation, returning a
// message (what is wrong and what to write instead) or undefined when valid.
import { describeValue } from './fields.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function checkDns1123Label(v: string): string | undefined {
  if (v.length > 63) return `"${v}" must be at most 63 characters`;
  if (!DNS1123_LABEL.test(v)) {
    return `"${v}" must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

export function checkDns1123Subdomain(v: string): string | undefined {
  if (v.length > 253) return `"${v}" must be at most 253 characters`;
  if (v === '' || !v.split('.').every((l) => DNS1123_LABEL.test(l) && l.length <= 63)) {
    return `"${v}" must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit`;
  }
  return undefined;
}

export function checkDns1035Label(v: string): string | undefined {
  if (v.length > 63) return `"${v}" must be at most 63 characters`;
  if (!DNS1035_LABEL.test(v)) {
    return `"${v}" must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit`;
  }
  return undefined;
}

/** Port names (IANA_SVC_NAME): 1-15 chars, [-a-z0-9], a letter, no '--', no leading/trailing '-'. */
export function checkPortName(v: string): string | undefined {
  if (/^\d+$/.test(v)) return `port name "${v}" is a number in quotes: write it without quotes to mean a port number`;
  if (v.length > 15) return `port name "${v}" must be at most 15 characters`;
  if (!/^[-a-z0-9]+$/.test(v)) return `port name "${v}" may contain only lowercase letters, digits and '-'`;
  if (!/[a-z]/.test(v)) return `port name "${v}" must contain at least one letter`;
  if (v.startsWith('-') || v.endsWith('-') || v.includes('--')) {
    return `port name "${v}" must not start or end with '-' or contain '--'`;
  }
  return undefined;
}

export function checkPortNumber(v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) return `must be a port number (an integer 1-65535), got ${describeValue(v)}`;
  if (v < 1 || v > 65535) return `port ${v} is out of range: use 1-65535`;
  return undefined;
}

/** Ingress rule / tls host: a DNS name (not an IP), optionally `*.` + one-label wildcard. */
export function checkHost(v: string): string | undefined {
  if (v.includes(':')) return `host "${v}" must not include a port or scheme: write just the DNS name`;
  if (v !== v.toLowerCase()) return `host "${v}" must be lowercase: write "${v.toLowerCase()}"`;
  if (IPV4.test(v)) return `host "${v}" must be a DNS name, not an IP address: leave host empty to match any host`;
  if (v.includes('*')) {
    if (!v.startsWith('*.') || v.indexOf('*', 1) !== -1) {
      return `host "${v}" has a misplaced wildcard: only a leading "*." standing for exactly one label is allowed (e.g. "*.example.com")`;
    }
    const rest = v.slice(2);
    const m = checkDns1123Subdomain(rest);
    return m ? `wildcard host "${v}": the part after "*." ${m.slice(m.indexOf('must'))}` : undefined;
  }
  return checkDns1123Subdomain(v);
}

/**
 * Ingress path checks. Exact/Prefix follow the API server (absolute, no
 * `//`, `/./`, `/../`, `%2F`, not ending in `/.` or `/..`); meshgate applies
 * the same to ImplementationSpecific, whose only extra is a trailing `/*` glob.
 */
export function checkIngressPath(path: string, pathType: string): string | undefined {
  if (!path.startsWith('/')) return `path "${path}" must start with "/"`;
  if (/[\s\x00-\x1f\x7f]/.test(path)) return `path "${path}" must not contain spaces or control characters`;
  if (path.includes('?') || path.includes('#')) return `path "${path}" must not contain a query ("?") or fragment ("#")`;
  for (const bad of ['//', '/./', '/../']) {
    if (path.includes(bad)) return `path "${path}" must not contain "${bad}"`;
  }
  if (/%2f/i.test(path)) return `path "${path}" must not contain an encoded "/" (%2F)`;
  if (path.endsWith('/..') || path.endsWith('/.')) return `path "${path}" must not end with "/." or "/.."`;
  const star = path.indexOf('*');
  if (star !== -1) {
    const isTrailingGlob = star === path.length - 1 && path.endsWith('/*');
    if (pathType === 'ImplementationSpecific' && !isTrailingGlob) {
      return `path "${path}": "*" is only allowed as a trailing "/*" glob (e.g. "/users/*")`;
    }
    if (pathType !== 'ImplementationSpecific') {
      const hint = isTrailingGlob ? `use pathType Prefix with path "${path.slice(0, -2) || '/'}", or pathType ImplementationSpecific to keep the "/*" glob` : 'remove it';
      return `path "${path}": "*" is not a wildcard with pathType ${pathType}: ${hint}`;
    }
  }
  return undefined;
}
