/**
 * IP address parsing that accepts every spelling a URL parser (WHATWG) or the C library
 * (inet_aton / getaddrinfo) would turn into an address, so that a policy deciding on the parsed
 * bytes cannot be dodged by writing the same address differently:
 *
 * - IPv4: 1 to 4 parts separated by dots, each decimal, octal (leading `0`) or hex (`0x`), the last
 *   part filling the remaining bytes (`127.1`, `0x7f.1`, `0177.0.0.1`, `2130706433`), a trailing
 *   dot allowed (`127.0.0.1.`);
 * - IPv6: RFC 4291 text with `::` compression and a dotted IPv4 tail (`::ffff:127.0.0.1`), with or
 *   without brackets, with or without a zone id (`fe80::1%eth0`, `fe80::1%25eth0`).
 *
 * Pure functions, no I/O.
 */

export type IpVersion = 4 | 6;

export interface IpAddress {
  version: IpVersion;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (no brackets, no zone). */
  text: string;
}

const DECIMAL = /^[0-9]+$/;
const OCTAL = /^0[0-7]*$/;
const HEX = /^0[xX][0-9a-fA-F]*$/;

/** One inet_aton / WHATWG IPv4 part, or null when it is not a number in any base. */
function ipv4Part(part: string): number | null {
  let value: number;
  if (HEX.test(part)) {
    const digits = part.slice(2).replace(/^0+/, '');
    // 0x alone is 0 in WHATWG; very long hex would lose precision: anything over 8 digits is > 2^32
    if (digits.length > 8) return null;
    value = digits === '' ? 0 : parseInt(digits, 16);
  } else if (part.length > 1 && part.startsWith('0')) {
    if (!OCTAL.test(part)) return null;
    const digits = part.slice(1).replace(/^0+/, '');
    if (digits.length > 11) return null;
    value = digits === '' ? 0 : parseInt(digits, 8);
  } else if (DECIMAL.test(part)) {
    const digits = part.replace(/^0+(?=.)/, '');
    if (digits.length > 10) return null;
    value = parseInt(digits, 10);
  } else {
    return null;
  }
  return Number.isSafeInteger(value) ? value : null;
}

/** IPv4 in any inet_aton / WHATWG spelling, or null. */
export function parseIpv4(text: string): Uint8Array | null {
  if (text.length === 0 || text.length > 64) return null;
  const parts = text.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    if (part === '') return null;
    const value = ipv4Part(part);
    if (value === null) return null;
    numbers.push(value);
  }
  const last = numbers[numbers.length - 1];
  const leading = numbers.slice(0, -1);
  if (leading.some((n) => n > 255)) return null;
  if (last >= 256 ** (5 - numbers.length)) return null;
  let value = last;
  leading.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return Uint8Array.of((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** Strict dotted-decimal IPv4 (the only form allowed as the tail of an IPv6 address). */
function parseDottedQuad(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes[i] = value;
  }
  return bytes;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** IPv6 text (optionally in brackets, optionally with a zone id), or null. */
export function parseIpv6(input: string): Uint8Array | null {
  let text = input;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) {
    // the zone only picks an interface (fe80::1%eth0, or %25eth0 as a URL writes it); it is not part of the address
    if (zone === text.length - 1) return null;
    text = text.slice(0, zone);
  }
  if (text.length < 2 || text.length > 45 || !text.includes(':')) return null;

  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): string[] => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];

  const words: number[] = [];
  const push = (groups: string[], isLastHalf: boolean): boolean => {
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i];
      const isLastGroup = isLastHalf && i === groups.length - 1;
      if (isLastGroup && group.includes('.')) {
        const v4 = parseDottedQuad(group);
        if (!v4) return false;
        words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!HEX_GROUP.test(group)) return false;
      words.push(parseInt(group, 16));
    }
    return true;
  };

  if (halves.length === 1) {
    if (!push(head, true) || words.length !== 8) return null;
  } else {
    if (!push(head, false)) return null;
    const headCount = words.length;
    if (!push(tail, true)) return null;
    const tailWords = words.splice(headCount);
    const missing = 8 - headCount - tailWords.length;
    // "::" stands for at least one group of zeros
    if (missing < 1) return null;
    words.push(...new Array<number>(missing).fill(0), ...tailWords);
  }
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

export function formatIpv4(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.');
}

/** RFC 5952: lower-case, leading zeros dropped, the longest run (≥ 2) of zero groups as "::". */
export function formatIpv6(bytes: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => (bytes[i * 2] << 8) | bytes[i * 2 + 1]);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Any IPv4 or IPv6 spelling (see the module comment), or null when the text is not an address. */
export function parseIpAddress(text: string): IpAddress | null {
  const trimmed = text.trim();
  if (trimmed !== text) return null;
  const v4 = parseIpv4(text);
  if (v4) return { version: 4, bytes: v4, text: formatIpv4(v4) };
  const v6 = parseIpv6(text);
  if (v6) return { version: 6, bytes: v6, text: formatIpv6(v6) };
  return null;
}
