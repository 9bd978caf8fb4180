/**
 * IP address and CIDR parsing as Go's `net` (and Kubernetes' `netutils` "sloppy" variants) does,
 * shared by the `ipv4`/`ipv6`/`cidr` schema formats and CEL's `ip`/`cidr` library.
 */

/** A parsed address: 4 bytes for IPv4, 16 for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

/** Parses dotted IPv4; `sloppy` allows leading zeros (read as decimal, as `netutils.ParseIPSloppy`). */
export function parseIPv4(text: string, sloppy = false): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    if (!/^\d{1,3}$/.test(part)) return undefined;
    if (!sloppy && part.length > 1 && part[0] === '0') return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

/** Parses IPv6 text (with an optional trailing dotted IPv4); zones are refused. */
export function parseIPv6(text: string, sloppy = false): Uint8Array | undefined {
  if (text.includes('%')) return undefined;
  const bytes = new Uint8Array(16);
  let head = text;
  let tailV4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) > lastColon && lastColon >= 0) {
    tailV4 = parseIPv4(text.slice(lastColon + 1), sloppy);
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const left = parseGroups(halves[0]);
  const right = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (left === undefined || right === undefined) return undefined;
  const total = left.length + right.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...left, ...new Array(8 - total).fill(0), ...right];
  for (let i = 0; i < 8; i++) {
    bytes[2 * i] = groups[i] >> 8;
    bytes[2 * i + 1] = groups[i] & 0xff;
  }
  if (tailV4 !== undefined) bytes.set(tailV4, 12);
  return bytes;
}

/** Go's `net.ParseIP` (or `netutils.ParseIPSloppy`): IPv4 or IPv6 text, else undefined. */
export function parseIP(text: string, sloppy = false): IpAddress | undefined {
  const v4 = parseIPv4(text, sloppy);
  if (v4 !== undefined) return { family: 4, bytes: v4 };
  if (!text.includes(':')) return undefined;
  const v6 = parseIPv6(text, sloppy);
  return v6 === undefined ? undefined : { family: 6, bytes: v6 };
}

/** A parsed CIDR: the address as written and the prefix length. */
export interface Cidr {
  readonly ip: IpAddress;
  readonly prefix: number;
}

/** Go's `net.ParseCIDR` (or the sloppy variant): `10.0.0.0/8`, `fd00::/64`. */
export function parseCIDR(text: string, sloppy = false): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash), sloppy);
  const bits = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(bits) || (bits.length > 1 && bits[0] === '0')) return undefined;
  const prefix = Number(bits);
  if (prefix > (ip.family === 4 ? 32 : 128)) return undefined;
  return { ip, prefix };
}

/** True when `ip` lies in the network of `cidr` (the same family only). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.ip.family !== ip.family) return false;
  let bits = cidr.prefix;
  for (let i = 0; i < cidr.ip.bytes.length && bits > 0; i++) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((cidr.ip.bytes[i] & mask) !== (ip.bytes[i] & mask)) return false;
    bits -= 8;
  }
  return true;
}

/** The network address of a CIDR (host bits cleared). */
export function cidrNetwork(cidr: Cidr): IpAddress {
  const bytes = new Uint8Array(cidr.ip.bytes);
  let bits = cidr.prefix;
  for (let i = 0; i < bytes.length; i++) {
    const mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    bytes[i] &= mask;
    bits -= 8;
  }
  return { family: cidr.ip.family, bytes };
}

/** Canonical text (Go's `netip.Addr.String`): dotted IPv4, RFC 5952 IPv6. */
export function formatIP(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip.bytes[i] << 8) | ip.bytes[i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
