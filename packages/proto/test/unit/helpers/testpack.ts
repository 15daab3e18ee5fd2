import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * Paths into the KSI test pack (Guardtime's, vendored in testdata/ksi-test-pack; see NOTICE) and its
 * expected-results CSVs, whose `;`-separated columns the pack's README.md describes.
 */

function findRepositoryRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "lerna.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no lerna.json above ${start}`);
  }
}

export const REPOSITORY_ROOT = findRepositoryRoot(import.meta.dirname);
export const TEST_PACK_ROOT = resolve(REPOSITORY_ROOT, "testdata", "ksi-test-pack");

export const TEST_PACK_CSVS = {
  valid: "valid-signatures/signature-results.csv",
  internalPolicy: "internal-policy-signatures/internal-policy-results.csv",
} as const;

/** The folders whose signature files (.ksig, .tlv; not resources/) the CSVs describe. */
export const TEST_PACK_SIGNATURE_FOLDERS = ["valid-signatures", "internal-policy-signatures"] as const;

export function testPackPath(...parts: string[]): string {
  return join(TEST_PACK_ROOT, ...parts);
}

export function readTestPackFile(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(testPackPath(...parts)));
}

export interface TestPackRow {
  /** The file as the CSV names it, relative to the CSV's folder. */
  readonly file: string;
  /** The file's path relative to the pack root (stable in test names). */
  readonly name: string;
  readonly path: string;
  /**
   * `parsing` (must fail to parse), `not-implemented`, or a policy: internal, key, calendar,
   * userPublication, publicationsFile.
   */
  readonly policy: string;
  /** Expected error code; undefined means the policy gives OK. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly inputLevel: number;
  /** Imprints as upper-case hex, as in the CSV. */
  readonly inputHash?: string;
  readonly calendarInput?: string;
  readonly calendarOutput?: string;
  readonly aggregationTime?: number;
  readonly publicationTime?: number;
  readonly publicationString?: string;
  readonly extendingPermitted: boolean;
  /** Absolute paths of the resources a row names. */
  readonly extenderResponse?: string;
  /** Absolute path, or "null" where the row means the live publications file. */
  readonly publicationsFile?: string;
  readonly certificateFile?: string;
}

function optional(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function optionalNumber(value: string | undefined): number | undefined {
  const text = optional(value);
  return text === undefined ? undefined : Number(text);
}

/** Parses one of TEST_PACK_CSVS. */
export function readTestPackCsv(csv: string): TestPackRow[] {
  const folder = dirname(testPackPath(csv));
  const resource = (value: string | undefined) => {
    const text = optional(value);
    return text === undefined || text === "null" ? text : join(folder, text);
  };
  const rows: TestPackRow[] = [];
  for (const line of readFileSync(testPackPath(csv), "utf8").split(/\r?\n/)) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const c = line.split(";");
    const path = join(folder, c[0]!);
    const errorCode = optional(c[2]);
    const errorMessage = optional(c[3]);
    const inputHash = optional(c[5]);
    const calendarInput = optional(c[6]);
    const calendarOutput = optional(c[7]);
    const aggregationTime = optionalNumber(c[8]);
    const publicationTime = optionalNumber(c[9]);
    const publicationString = optional(c[10]);
    const extenderResponse = resource(c[12]);
    const publicationsFile = resource(c[13]);
    const certificateFile = resource(c[14]);
    rows.push({
      file: c[0]!,
      name: relative(TEST_PACK_ROOT, path),
      path,
      policy: c[1]!,
      ...(errorCode !== undefined && { errorCode }),
      ...(errorMessage !== undefined && { errorMessage }),
      inputLevel: optionalNumber(c[4]) ?? 0,
      ...(inputHash !== undefined && { inputHash }),
      ...(calendarInput !== undefined && { calendarInput }),
      ...(calendarOutput !== undefined && { calendarOutput }),
      ...(aggregationTime !== undefined && { aggregationTime }),
      ...(publicationTime !== undefined && { publicationTime }),
      ...(publicationString !== undefined && { publicationString }),
      extendingPermitted: c[11] === "true",
      ...(extenderResponse !== undefined && { extenderResponse }),
      ...(publicationsFile !== undefined && { publicationsFile }),
      ...(certificateFile !== undefined && { certificateFile }),
    });
  }
  return rows;
}

/** Every signature file (.ksig, .tlv) in the signature folders, as paths relative to the pack root. */
export function testPackSignatureFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(testPackPath(dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "resources") walk(path);
      } else if (/\.(ksig|tlv)$/.test(entry.name)) out.push(path);
    }
  };
  for (const folder of TEST_PACK_SIGNATURE_FOLDERS) walk(folder);
  return out.sort();
}

/**
 * A decoded model without its `source` elements, so a model decoded from the pack can be compared with
 * one decoded from canonical re-encoding.
 */
export function withoutSources<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutSources) as T;
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (key !== "source") out[key] = withoutSources(field);
  return out as T;
}
