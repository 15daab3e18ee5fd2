import { stat } from "node:fs/promises";
import { readBounded } from "./files.ts";
import { globPaths } from "./glob.ts";
import { UsageError } from "./usage-error.ts";

/** A signature file to verify, and the document it must cover when there is one. */
export interface VerifyTarget {
  readonly signature: string;
  /** A KSI signature, or an RFC 3161 time-stamp token (a `.tsr` reply or a bare token). */
  readonly format: SignatureFormat;
  readonly document?: string;
}

export type SignatureFormat = "ksi" | "rfc3161";

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

/**
 * The format the file's first bytes say it has. A KSI signature is a TLV of type 0x800: a 16-bit
 * header whose first bytes are 0x88 0x00 (flags aside). An RFC 3161 token or reply is a DER SEQUENCE
 * of more than 127 bytes (0x30, then a long length form).
 */
export async function sniffFormat(path: string): Promise<SignatureFormat | undefined> {
  const { bytes } = await readBounded(path, 2, "file");
  if (bytes.length < 2) return undefined;
  if ((bytes[0]! & 0x9f) === 0x88 && bytes[1] === 0x00) return "ksi";
  if (bytes[0] === 0x30 && bytes[1]! >= 0x81 && bytes[1]! <= 0x83) return "rfc3161";
  return undefined;
}

/** The suffixes `tempel verify` looks for beside a document, in this order. */
const SUFFIXES: readonly [string, SignatureFormat][] = [
  [".ksig", "ksi"],
  [".tsr", "rfc3161"],
];

export interface LocateOptions {
  /** --document: the document the (single) signature must cover. */
  readonly document?: string;
  /** --document-hash: the (single) signature is checked against a hash, not a document. */
  readonly documentHash: boolean;
  /** Check the signature alone, not the document beside it. */
  readonly signatureOnly: boolean;
}

/**
 * What `tempel verify PATH` checks. FILE.ksig (FILE.tsr) is the signature (RFC 3161 token) of FILE
 * beside it, as `tempel sign` (a TSA client) writes it, so either name checks both; another file is a
 * signature if its bytes read as one of the two formats. A document without a signature is a usage
 * error that says where the signature was looked for.
 */
export async function locate(path: string, options: LocateOptions): Promise<VerifyTarget> {
  // The bytes decide the format; the name only where they say nothing (a KSI parse error then tells).
  const withDocument = async (signature: string, named: SignatureFormat, beside: string | undefined) => ({
    signature,
    format: (await isFile(signature)) ? ((await sniffFormat(signature)) ?? named) : named,
    ...(options.document !== undefined
      ? { document: options.document }
      : beside !== undefined && !options.signatureOnly && !options.documentHash && { document: beside }),
  });
  for (const [suffix, format] of SUFFIXES) {
    if (path.endsWith(suffix)) {
      const document = path.slice(0, -suffix.length);
      return withDocument(path, format, (await isFile(document)) ? document : undefined);
    }
  }
  for (const [suffix, format] of SUFFIXES) {
    if (!(await isFile(`${path}${suffix}`))) continue;
    if (options.document !== undefined || options.documentHash) {
      throw new UsageError(
        `${path}${suffix} is taken as the signature of ${path}; name the ${suffix} file to check another document`,
      );
    }
    return withDocument(`${path}${suffix}`, format, path);
  }
  if (!(await isFile(path))) {
    throw new UsageError(`no signature found: neither ${path}, ${path}.ksig nor ${path}.tsr is a file`);
  }
  const format = await sniffFormat(path);
  if (format === undefined) {
    throw new UsageError(
      `no signature found for ${path}: looked for ${path}.ksig and ${path}.tsr beside it, and ${path} is ` +
        `neither a KSI signature nor an RFC 3161 token; sign it with tempel sign ${path}, or name its signature file`,
    );
  }
  return withDocument(path, format, undefined);
}
