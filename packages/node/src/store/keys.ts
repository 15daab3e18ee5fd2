/** `bucket ‖ u64 big-endian number`: the common key shape, ordered by number. */
export function numberKey(bucket: number, n: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = bucket;
  new DataView(key.buffer).setBigUint64(1, BigInt(n));
  return key;
}

/** `bucket ‖ u64 big-endian number ‖ u8 suffix`. */
export function numberKeyWithByte(bucket: number, n: number, suffix: number): Uint8Array {
  const key = new Uint8Array(10);
  key[0] = bucket;
  new DataView(key.buffer).setBigUint64(1, BigInt(n));
  key[9] = suffix;
  return key;
}

export function nameKey(bucket: number, name: string): Uint8Array {
  const body = new TextEncoder().encode(name);
  const key = new Uint8Array(body.length + 1);
  key[0] = bucket;
  key.set(body, 1);
  return key;
}

export function keyNumber(key: Uint8Array): number {
  return Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1));
}

/** Range bounds covering a whole bucket. */
export function bucketRange(bucket: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: Uint8Array.of(bucket), lt: Uint8Array.of(bucket + 1) };
}
