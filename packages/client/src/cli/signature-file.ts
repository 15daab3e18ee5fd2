import { decodeSignature, type KsiSignature, MAX_SIGNATURE_BYTES, TempelError } from "@tempel/proto";
import { readBounded } from "./files.ts";

/** The signature in the file at `path`, or why the file holds none. An unreadable file is a usage error. */
export async function readSignature(path: string): Promise<KsiSignature | string> {
  const { bytes, truncated } = await readBounded(path, MAX_SIGNATURE_BYTES, "signature file");
  if (truncated) return `larger than the ${MAX_SIGNATURE_BYTES} bytes a KSI signature can have`;
  try {
    return decodeSignature(bytes);
  } catch (error) {
    if (error instanceof TempelError) return error.message;
    throw error;
  }
}
