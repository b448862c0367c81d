/**
 * One-dimensional arrays in PostgreSQL's binary format (`array_send` / `array_recv`), as statement
 * parameters. node-postgres sends a Buffer parameter in binary, so a statement taking
 * `unnest($1::uuid[], $2::timestamptz[], …)` receives its elements without the server parsing text
 * (`array_in`, `uuid_in` and the timestamp parser were a fifth of PostgreSQL's time applying usage
 * batches) and without node-postgres quoting every element. The parameter's SQL type must name the
 * same element type as the encoder (`$1::varchar[]` ↔ `pgBinaryArray.varchar`): the server refuses
 * any other.
 *
 * Numbers must be integers within the type's range and strings well-formed for their type; an
 * element that is not throws a RangeError naming it (the caller validated its input, so that is a
 * bug, not bad input).
 */

/** pg_type oids of the element types. */
const OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  varchar: 1043,
  timestamptz: 1184,
  uuid: 2950,
} as const;

/** ndim, has-nulls flag, element oid, then (unless empty) the one dimension's length and lower bound. */
const headerBytes = (length: number): number => (length === 0 ? 12 : 20);
/** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix ms. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

// Byte stores rather than Buffer's writeInt32BE & co.: those check their arguments on every call,
// which was most of the encoding time; the values are checked here once (`integer`).

/** A 32-bit integer, big-endian (a byte store keeps the low 8 bits). */
function int32(buffer: Buffer, offset: number, value: number): void {
  buffer[offset] = value >>> 24;
  buffer[offset + 1] = value >>> 16;
  buffer[offset + 2] = value >>> 8;
  buffer[offset + 3] = value;
}

function header(buffer: Buffer, oid: number, length: number, hasNull: boolean): number {
  int32(buffer, 0, length === 0 ? 0 : 1);
  int32(buffer, 4, hasNull ? 1 : 0);
  int32(buffer, 8, oid);
  if (length === 0) return 12;
  int32(buffer, 12, length);
  int32(buffer, 16, 1);
  return 20;
}

/** A buffer for an array of `length` elements of `width` bytes (`nulls` of them null), its header written; answers where the elements start. */
function fixedWidthBuffer(oid: number, width: number, length: number, nulls: number): [Buffer, number] {
  const buffer = Buffer.allocUnsafe(headerBytes(length) + length * (4 + width) - nulls * width);
  return [buffer, header(buffer, oid, length, nulls > 0)];
}

/** An element's byte length (-1: null) at `offset`; answers where the element's bytes go. */
function lengthWord(buffer: Buffer, offset: number, length: number): number {
  int32(buffer, offset, length);
  return offset + 4;
}

const countNulls = (values: readonly unknown[]): number => {
  let nulls = 0;
  for (const value of values) if (value === null) nulls += 1;
  return nulls;
};

function integer(value: number, min: number, max: number, type: string): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${type} array element out of range: ${value}`);
  return value;
}

/**
 * An array of integers stored in `width` bytes, each element `(value - shift) * scale` (for
 * timestamps). One loop with the width switched inside, for every such type: a loop calling a
 * writer function per type ran ~2.5 times slower in the worker, where every type is encoded and
 * the call site saw them all.
 */
const integers =
  (oid: number, width: 1 | 2 | 4 | 8, min: number, max: number, type: string, shift = 0, scale = 1) =>
  (values: readonly (number | null)[]): Buffer => {
    const [buffer, start] = fixedWidthBuffer(oid, width, values.length, countNulls(values));
    let offset = start;
    for (const value of values) {
      offset = lengthWord(buffer, offset, value === null ? -1 : width);
      if (value === null) continue;
      const n = integer((value - shift) * scale, min, max, type);
      if (width === 8) {
        // a safe integer as a big-endian int64, without a BigInt
        const high = Math.floor(n / TWO_32);
        int32(buffer, offset, high);
        int32(buffer, offset + 4, n - high * TWO_32);
      } else if (width === 4) int32(buffer, offset, n);
      else if (width === 2) {
        buffer[offset] = n >>> 8;
        buffer[offset + 1] = n;
      } else buffer[offset] = n;
      offset += width;
    }
    return buffer;
  };

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}
const hexDigit = (uuid: string, i: number): number => {
  const code = uuid.charCodeAt(i);
  const digit = code < 128 ? HEX[code] : -1;
  if (digit < 0) throw new RangeError(`uuid array element is not a UUID: ${JSON.stringify(uuid)}`);
  return digit;
};

/** `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (either case) as its 16 bytes. */
function writeUuid(buffer: Buffer, offset: number, uuid: string): void {
  if (
    uuid.length !== 36 ||
    uuid.charCodeAt(8) !== 45 ||
    uuid.charCodeAt(13) !== 45 ||
    uuid.charCodeAt(18) !== 45 ||
    uuid.charCodeAt(23) !== 45
  )
    throw new RangeError(`uuid array element is not a UUID: ${JSON.stringify(uuid)}`);
  let i = 0;
  for (let byte = 0; byte < 16; byte++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i += 1;
    buffer[offset + byte] = (hexDigit(uuid, i) << 4) | hexDigit(uuid, i + 1);
    i += 2;
  }
}

/** An array of uuids (strings). */
function uuids(values: readonly (string | null)[]): Buffer {
  const [buffer, start] = fixedWidthBuffer(OID.uuid, 16, values.length, countNulls(values));
  let offset = start;
  for (const value of values) {
    offset = lengthWord(buffer, offset, value === null ? -1 : 16);
    if (value === null) continue;
    writeUuid(buffer, offset, value);
    offset += 16;
  }
  return buffer;
}

/** Whether a char code is half of a surrogate pair (those strings go to Buffer's own encoder). */
const isSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdfff;

/** A string's UTF-8 byte length, counted in JS (no call into C++ for the short strings of a usage batch). */
function utf8Length(value: string): number {
  let bytes = value.length;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) continue;
    if (isSurrogate(code)) return Buffer.byteLength(value, 'utf8');
    bytes += code < 0x800 ? 1 : 2;
  }
  return bytes;
}

/** Writes a string's UTF-8 bytes (`length` of them, from utf8Length) at an offset. */
function writeUtf8(buffer: Buffer, offset: number, value: string, length: number): void {
  if (length === value.length) {
    for (let i = 0; i < length; i++) buffer[offset + i] = value.charCodeAt(i);
    return;
  }
  let at = offset;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) buffer[at++] = code;
    else if (code < 0x800) {
      buffer[at++] = 0xc0 | (code >> 6);
      buffer[at++] = 0x80 | (code & 0x3f);
    } else if (isSurrogate(code)) {
      buffer.write(value, offset, 'utf8');
      return;
    } else {
      buffer[at++] = 0xe0 | (code >> 12);
      buffer[at++] = 0x80 | ((code >> 6) & 0x3f);
      buffer[at++] = 0x80 | (code & 0x3f);
    }
  }
}

/**
 * An array of strings sent as their UTF-8 bytes (text and varchar's binary form), encoded in JS:
 * for the short strings of a usage batch (ids, key prefixes, methods), two calls into C++ per
 * element (`Buffer.byteLength`, `buffer.write`) cost more than the encoding itself.
 */
const textual =
  (oid: number) =>
  (values: readonly (string | null)[]): Buffer => {
    const lengths = new Int32Array(values.length);
    let bytes = headerBytes(values.length);
    let nulls = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === null) {
        nulls += 1;
        lengths[i] = -1;
      } else bytes += lengths[i] = utf8Length(value);
      bytes += 4;
    }
    const buffer = Buffer.allocUnsafe(bytes);
    let offset = header(buffer, oid, values.length, nulls > 0);
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const length = lengths[i];
      offset = lengthWord(buffer, offset, length);
      if (value === null) continue;
      writeUtf8(buffer, offset, value, length);
      offset += length;
    }
    return buffer;
  };

const bools = integers(OID.bool, 1, 0, 1, 'bool');

export const pgBinaryArray = {
  bool: (values: readonly (boolean | null)[]): Buffer =>
    bools(values.map((value) => (value === null ? null : value ? 1 : 0))),
  int2: integers(OID.int2, 2, -32_768, 32_767, 'int2'),
  int4: integers(OID.int4, 4, -2_147_483_648, 2_147_483_647, 'int4'),
  int8: integers(OID.int8, 8, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'int8'),
  /** Instants as Unix ms (microseconds since 2000-01-01 on the wire). */
  timestamptz: integers(
    OID.timestamptz,
    8,
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
    'timestamptz',
    PG_EPOCH_MS,
    1000,
  ),
  uuid: uuids,
  text: textual(OID.text),
  varchar: textual(OID.varchar),
};
