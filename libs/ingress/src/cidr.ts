// CIDR lists as annotations write them (`10.0.0.0/8, 2001:db8::/32, 192.0.2.7`),
// checked here without node:net (the model imports no sockets): the data
// plane loads them into a net.BlockList as they come out.

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The address in canonical form (IPv6 compressed, lower-case), its family's width, or undefined when it is no address. */
function address(text: string): { addr: string; max: number } | undefined {
  if (IPV4.test(text)) return { addr: text, max: 32 };
  if (!text.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  try {
    // The WHATWG URL parser checks and compresses IPv6 literals (an embedded IPv4 tail included).
    const host = new URL(`http://[${text}]/`).hostname;
    return { addr: host.slice(1, -1), max: 128 };
  } catch {
    return undefined;
  }
}

/** One CIDR (an address alone is a /32 or /128) as `addr/bits`, or what is wrong with it. */
export function parseCidr(part: string): string | { error: string } {
  const slash = part.indexOf('/');
  const a = address(slash === -1 ? part : part.slice(0, slash));
  const bitsText = slash === -1 ? undefined : part.slice(slash + 1);
  const bits = a === undefined ? NaN : bitsText === undefined ? a.max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (a === undefined || !(bits >= 0 && bits <= a.max)) {
    return { error: `"${part}" is not an IPv4 or IPv6 address with an optional /prefix (0-32 for IPv4, 0-128 for IPv6)` };
  }
  return `${a.addr}/${bits}`;
}

/** A comma (or space) separated list of CIDRs, each checked. */
export function parseCidrList(text: string): { cidrs: string[] } | { error: string } {
  const cidrs: string[] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const c = parseCidr(part);
    if (typeof c !== 'string') return c;
    cidrs.push(c);
  }
  if (cidrs.length === 0) return { error: 'no CIDR given' };
  return { cidrs };
}
