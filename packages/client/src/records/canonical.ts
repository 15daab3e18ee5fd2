import { HashAlgorithm, type Hasher, hashImprint, type Imprint, isImprintShaped } from "@tempel/proto";
import { type FieldValue, RecordFormatError, type RecordVersion, recordLimits } from "./record-version.ts";

/**
 * The canonical encoding of a record version, the bytes whose hash is signed (docs/logs.md, "Record
 * history"). Every part is typed and length-prefixed and the fields are sorted by the UTF-8 bytes of
 * their names, so that one version has exactly one encoding and two versions never share one:
 *
 *   "TEMPEL-RECORD" 0x00 0x01 | text recordId | u64 version | u32 n + previous imprint (n = 0 in version 1)
 *   | u32 field count | per field: text name, u8 type, value
 *
 * text = u32 byte length + UTF-8; integers big-endian. Types: 0 null, 1 false, 2 true,
 * 3 integer (i64), 4 text, 5 bytes (u32 length + bytes).
 */
const MAGIC = new TextEncoder().encode("TEMPEL-RECORD\u0000\u0001");

const FieldType = { Null: 0, False: 1, True: 2, Integer: 3, Text: 4, Bytes: 5 } as const;

const utf8 = new TextEncoder();

/** A surrogate not in a pair: in a `u` pattern a pair is one code point, outside this range. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function text(value: string, what: string, limit: number): Uint8Array {
  // String.prototype.isWellFormed is ES2024, past the SDK's target (Node 20.19, older browsers).
  if (LONE_SURROGATE.test(value)) {
    // A lone surrogate would become U+FFFD, so two different strings would share an encoding.
    throw new RecordFormatError("RECORD_TEXT", `${what} is not well-formed Unicode (a lone surrogate)`);
  }
  const bytes = utf8.encode(value);
  if (bytes.length > limit) {
    throw new RecordFormatError("RECORD_TOO_LARGE", `${what} is ${bytes.length} bytes, more than ${limit}`);
  }
  return bytes;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Collects the parts, then joins them once. */
class Writer {
  readonly #parts: Uint8Array[] = [];
  #length = 0;

  bytes(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    this.#length += bytes.length;
    if (this.#length > recordLimits.maxEncodedBytes) {
      throw new RecordFormatError(
        "RECORD_TOO_LARGE",
        `the encoded version is more than ${recordLimits.maxEncodedBytes} bytes`,
      );
    }
  }

  u8(value: number): void {
    this.bytes(Uint8Array.of(value));
  }

  u32(value: number): void {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value);
    this.bytes(out);
  }

  i64(value: number): void {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, BigInt(value));
    this.bytes(out);
  }

  sized(bytes: Uint8Array): void {
    this.u32(bytes.length);
    this.bytes(bytes);
  }

  join(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

function writeValue(out: Writer, value: FieldValue, name: string): void {
  if (value === null) out.u8(FieldType.Null);
  else if (value === false) out.u8(FieldType.False);
  else if (value === true) out.u8(FieldType.True);
  else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new RecordFormatError(
        "RECORD_NUMBER",
        `field ${name}: ${value} is not a safe integer (keep decimals as text)`,
      );
    }
    out.u8(FieldType.Integer);
    out.i64(value);
  } else if (typeof value === "string") {
    out.u8(FieldType.Text);
    out.sized(text(value, `field ${name}`, recordLimits.maxEncodedBytes));
  } else if (value instanceof Uint8Array) {
    out.u8(FieldType.Bytes);
    out.sized(value);
  } else {
    throw new RecordFormatError("RECORD_FIELD_TYPE", `field ${name}: a ${typeof value} is not a field value`);
  }
}

/** The canonical bytes of `version`; throws RecordFormatError for a version that has none. */
export function encodeRecordVersion(version: RecordVersion): Uint8Array {
  const { recordId, previous } = version;
  // Versions are read back from storage anyone may have written to: check the shape, not only the values.
  if (typeof recordId !== "string") {
    throw new RecordFormatError("RECORD_ID", "the record id is not text");
  }
  if (typeof version.fields !== "object" || version.fields === null || version.fields instanceof Uint8Array) {
    throw new RecordFormatError("RECORD_FIELDS", `record ${recordId}: the fields are not an object`);
  }
  if (!Number.isSafeInteger(version.version) || version.version < 1) {
    throw new RecordFormatError(
      "RECORD_VERSION",
      `record ${recordId}: version ${version.version} is not 1, 2, …`,
    );
  }
  if ((version.version === 1) !== (previous === undefined)) {
    throw new RecordFormatError(
      "RECORD_PREVIOUS",
      `record ${recordId} version ${version.version}: ${version.version === 1 ? "version 1 has no previous hash" : "only version 1 lacks the previous version's hash"}`,
    );
  }
  if (previous !== undefined && !(previous instanceof Uint8Array && isImprintShaped(previous))) {
    throw new RecordFormatError(
      "RECORD_PREVIOUS",
      `record ${recordId} version ${version.version}: the previous hash is not an imprint`,
    );
  }
  const out = new Writer();
  out.bytes(MAGIC);
  out.sized(text(recordId, "the record id", recordLimits.maxNameBytes));
  out.i64(version.version);
  out.sized(previous ?? new Uint8Array(0));
  const fields = Object.entries(version.fields)
    .map(([name, value]) => ({
      name: text(name, `field name ${name}`, recordLimits.maxNameBytes),
      key: name,
      value,
    }))
    .sort((a, b) => compareBytes(a.name, b.name));
  out.u32(fields.length);
  for (const { name, key, value } of fields) {
    out.sized(name);
    writeValue(out, value, key);
  }
  return out.join();
}

/** The hash of a version's canonical encoding: what is signed and what the next version links to. */
export function recordVersionHash(
  version: RecordVersion,
  algorithm: number = HashAlgorithm.SHA2_256,
  hasher?: Hasher,
): Imprint {
  return hashImprint(algorithm, encodeRecordVersion(version), hasher);
}

/**
 * The version that follows `previous` (or version 1 of `recordId` when there is none) with `fields`,
 * linked to it by its hash.
 */
export function nextVersion(
  recordId: string,
  fields: Readonly<Record<string, FieldValue>>,
  previous?: { readonly version: RecordVersion; readonly hash: Imprint },
): RecordVersion {
  if (previous === undefined) return { recordId, version: 1, fields };
  if (previous.version.recordId !== recordId) {
    throw new RecordFormatError(
      "RECORD_ID",
      `the previous version belongs to record ${previous.version.recordId}, not ${recordId}`,
    );
  }
  return { recordId, version: previous.version.version + 1, previous: previous.hash, fields };
}
