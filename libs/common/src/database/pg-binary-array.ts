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

type Writer<T> = (buffer: Buffer, offset: number, value: T) => void;

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

/** One array: `size` answers an element's byte length, `write` stores its bytes at an offset. */
function encodeArray<T>(
  oid: number,
  values: readonly (T | null)[],
  size: (value: T) => number,
  write: Writer<T>,
): Buffer {
  let bytes = headerBytes(values.length);
  let nulls = 0;
  for (const value of values) {
    bytes += 4;
    if (value === null) nulls += 1;
    else bytes += size(value);
  }
  const buffer = Buffer.allocUnsafe(bytes);
  let offset = header(buffer, oid, values.length, nulls > 0);
  for (const value of values) {
    if (value === null) {
      int32(buffer, offset, -1);
      offset += 4;
      continue;
    }
    const length = size(value);
    int32(buffer, offset, length);
    write(buffer, offset + 4, value);
    offset += 4 + length;
  }
  return buffer;
}

/** An array of a fixed-width element type (`width` bytes each). */
const fixedWidth =
  <T>(oid: number, width: number, write: Writer<T>) =>
  (values: readonly (T | null)[]): Buffer =>
    encodeArray(oid, values, () => width, write);

function integer(value: number, min: number, max: number, type: string): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${type} array element out of range: ${value}`);
  return value;
}

/** A safe integer as a big-endian int64, without a BigInt. */
const writeInt64: Writer<number> = (buffer, offset, value) => {
  integer(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'int8');
  const high = Math.floor(value / TWO_32);
  int32(buffer, offset, high);
  int32(buffer, offset + 4, value - high * TWO_32);
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
const writeUuid: Writer<string> = (buffer, offset, uuid) => {
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
};

/** An array of strings sent as their UTF-8 bytes (text and varchar's binary form). */
const textual =
  (oid: number) =>
  (values: readonly (string | null)[]): Buffer =>
    encodeArray(
      oid,
      values,
      (value) => Buffer.byteLength(value, 'utf8'),
      (buffer, offset, value) => {
        buffer.write(value, offset, 'utf8');
      },
    );

export const pgBinaryArray = {
  bool: fixedWidth<boolean>(OID.bool, 1, (buffer, offset, value) => {
    buffer[offset] = value ? 1 : 0;
  }),
  int2: fixedWidth<number>(OID.int2, 2, (buffer, offset, value) => {
    integer(value, -32_768, 32_767, 'int2');
    buffer[offset] = value >>> 8;
    buffer[offset + 1] = value;
  }),
  int4: fixedWidth<number>(OID.int4, 4, (buffer, offset, value) =>
    int32(buffer, offset, integer(value, -2_147_483_648, 2_147_483_647, 'int4')),
  ),
  int8: fixedWidth<number>(OID.int8, 8, writeInt64),
  /** Instants as Unix ms (microseconds since 2000-01-01 on the wire). */
  timestamptz: fixedWidth<number>(OID.timestamptz, 8, (buffer, offset, ms) =>
    writeInt64(buffer, offset, (ms - PG_EPOCH_MS) * 1000),
  ),
  uuid: fixedWidth<string>(OID.uuid, 16, writeUuid),
  text: textual(OID.text),
  varchar: textual(OID.varchar),
};
