import { createReadStream } from "node:fs";
import { HashAlgorithmError, type Imprint, makeImprint, nobleHash } from "@tempel/proto";
import { UsageError } from "./usage-error.ts";

/**
 * The imprint of the file at `path` under KSI algorithm `algorithm`, hashed as it streams so a
 * document of any size takes constant memory.
 */
export async function hashDocument(path: string, algorithm: number): Promise<Imprint> {
  let state: ReturnType<ReturnType<typeof nobleHash>["create"]>;
  try {
    state = nobleHash(algorithm).create();
  } catch (error) {
    if (!(error instanceof HashAlgorithmError)) throw error;
    throw new UsageError(`cannot hash document ${path}: ${error.message}; pass --document-hash instead`);
  }
  try {
    for await (const chunk of createReadStream(path)) state.update(chunk as Uint8Array);
  } catch (error) {
    throw new UsageError(`cannot read document ${path}: ${(error as Error).message}`);
  }
  return makeImprint(algorithm, state.digest());
}
