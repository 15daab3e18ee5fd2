import { stat } from "node:fs/promises";
import { readBounded } from "./files.ts";
import { globPaths } from "./glob.ts";
import { UsageError } from "./usage-error.ts";

/** A signature file to verify, and the document it must cover when there is one. */
export interface VerifyTarget {
  readonly signature: string;
  readonly document?: string;
}

const GLOB_CHARACTERS = /[*?[{]/;

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

/**
 * The command line's paths with globs expanded here, for shells (cmd.exe, a quoted pattern) that do
 * not; a path that exists as named is taken as it is, whatever its characters.
 */
export async function expandPaths(args: readonly string[]): Promise<string[]> {
  const paths: string[] = [];
  for (const arg of args) {
    if (!GLOB_CHARACTERS.test(arg) || (await stat(arg).catch(() => undefined)) !== undefined) {
      paths.push(arg);
      continue;
    }
    const matches = await globPaths(arg);
    if (matches.length === 0) throw new UsageError(`${arg} matches no file`);
    paths.push(...matches.sort());
  }
  return paths;
}

/** A KSI signature is a TLV of type 0x800: a 16-bit header whose first bytes are 0x88 0x00 (flags aside). */
async function startsLikeSignature(path: string): Promise<boolean> {
  const { bytes } = await readBounded(path, 2, "file");
  return bytes.length === 2 && (bytes[0]! & 0x9f) === 0x88 && bytes[1] === 0x00;
}

export interface LocateOptions {
  /** --document: the document the (single) signature must cover. */
  readonly document?: string;
  /** --document-hash: the (single) signature is checked against a hash, not a document. */
  readonly documentHash: boolean;
  /** Check the signature alone, not the document beside it. */
  readonly signatureOnly: boolean;
}

/**
 * What `tempel verify PATH` checks. FILE.ksig is the signature of FILE beside it (as `tempel sign`
 * writes it), so either name checks both; another file is a signature if it reads as one. A document
 * without a signature is a usage error that says where the signature was looked for.
 */
export async function locate(path: string, options: LocateOptions): Promise<VerifyTarget> {
  const withDocument = (signature: string, beside: string | undefined) => ({
    signature,
    ...(options.document !== undefined
      ? { document: options.document }
      : beside !== undefined && !options.signatureOnly && !options.documentHash && { document: beside }),
  });
  if (path.endsWith(".ksig")) {
    const document = path.slice(0, -".ksig".length);
    return withDocument(path, (await isFile(document)) ? document : undefined);
  }
  if (await isFile(`${path}.ksig`)) {
    if (options.document !== undefined || options.documentHash) {
      throw new UsageError(
        `${path}.ksig is taken as the signature of ${path}; name the .ksig file to check another document`,
      );
    }
    return withDocument(`${path}.ksig`, path);
  }
  if (!(await isFile(path))) {
    throw new UsageError(`no signature found: neither ${path} nor ${path}.ksig is a file`);
  }
  if (!(await startsLikeSignature(path))) {
    throw new UsageError(
      `no signature found for ${path}: looked for ${path}.ksig beside it, and ${path} is no KSI ` +
        `signature; sign it with tempel sign ${path}, or name its signature file`,
    );
  }
  return withDocument(path, undefined);
}
