import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  type PolicyName,
  type RecordProblem,
  TempelClient,
  verifyCheckpoints,
  verifyRecordHistory,
} from "@tempel/client";
import { CHECKPOINTS, HealthRecords } from "./records-db.ts";

/**
 * The health-record scenario of docs/logs.md ("Record history"): a SQLite table of record versions,
 * signed in batches against a Tempel cluster, tampered with as an insider would, and verified.
 *
 *   npx node examples/health-records/health-records.ts COMMAND DB …
 *
 * (npx: the repo's Node 24 and the tempel-source condition of .npmrc; node:sqlite needs Node 22.13 or
 * later, docs/logs.md.)
 * The cluster comes from TEMPEL_ENDPOINTS, TEMPEL_LOGIN, TEMPEL_KEY and TEMPEL_GENESIS, or else from
 * .tempel/cluster.json in the working folder (what `npm start` writes). Exit codes: 0 done (verify:
 * the histories hold), 1 verify found a problem, 2 bad usage.
 */
const USAGE = `usage: health-records.ts COMMAND DB [ARGS]
  seed DB                          write three versions of five patients' allergy records
  write DB RECORD FIELD=VALUE…     a new version of RECORD (the newest version's fields, changed)
  sign DB                          sign every unsigned version and a checkpoint of every record's head
  verify DB [--policy P] [--json]  verify every record's history against the newest checkpoint
  tamper DB edit RECORD VERSION FIELD=VALUE   change a stored version's field in place
  tamper DB delete RECORD VERSION             delete one stored version
  tamper DB swap RECORD VERSION VERSION       swap the proofs of two versions
  tamper DB rollback RECORD VERSION           delete the versions after VERSION
  tamper DB copy RECORD VERSION TO_RECORD     copy a version and its proof to another record`;

export class UsageError extends Error {}

/** Where the script's environment and output go: the process's own, or a test's. */
export interface Context {
  readonly env: NodeJS.ProcessEnv;
  readonly print: (line: string) => void;
}

function clientOptions(env: NodeJS.ProcessEnv) {
  if (env.TEMPEL_ENDPOINTS !== undefined) {
    return {
      endpoints: env.TEMPEL_ENDPOINTS.split(","),
      agency: { loginId: env.TEMPEL_LOGIN ?? "", key: env.TEMPEL_KEY ?? "" },
      genesis: readFileSync(env.TEMPEL_GENESIS ?? "genesis.json", "utf8"),
    };
  }
  const path = resolve(".tempel/cluster.json");
  const cluster = JSON.parse(readFileSync(path, "utf8")) as {
    nodes: { api: string }[];
    agency: { loginId: string; key: string };
    genesis: string;
  };
  return {
    endpoints: cluster.nodes.map((node) => node.api),
    agency: cluster.agency,
    genesis: readFileSync(resolve(dirname(path), cluster.genesis), "utf8"),
  };
}

function connect(env: NodeJS.ProcessEnv): TempelClient {
  const { endpoints, agency, genesis } = clientOptions(env);
  return new TempelClient({ endpoints, agency, trust: { genesis } });
}

function assignments(args: readonly string[]): Record<string, string> {
  if (args.length === 0) throw new UsageError("give at least one FIELD=VALUE");
  return Object.fromEntries(
    args.map((arg) => {
      const at = arg.indexOf("=");
      if (at < 1) throw new UsageError(`${arg}: expected FIELD=VALUE`);
      return [arg.slice(0, at), arg.slice(at + 1)];
    }),
  );
}

function versionNumber(text: string | undefined): number {
  const number = Number(text);
  if (!Number.isSafeInteger(number) || number < 1) throw new UsageError(`${text}: not a version number`);
  return number;
}

function describe(problem: RecordProblem): string {
  return `${problem.code} ${problem.recordId} version ${problem.version}: ${problem.message}`;
}

async function verify(
  records: HealthRecords,
  policy: PolicyName,
  json: boolean,
  context: Context,
): Promise<number> {
  const { print } = context;
  const client = connect(context.env);
  const histories = records.histories();
  const checkpoints = await verifyCheckpoints(CHECKPOINTS, histories.get(CHECKPOINTS) ?? [], {
    policy,
    verifier: client,
  });
  histories.delete(CHECKPOINTS);
  const heads = checkpoints.heads ?? new Map();
  // A record the checkpoint names but the table no longer has is verified as an empty history.
  const ids = [...new Set([...histories.keys(), ...heads.keys()])].sort();
  const results = [];
  for (const id of ids) {
    const latest = heads.get(id);
    results.push(
      await verifyRecordHistory(id, histories.get(id) ?? [], {
        policy,
        verifier: client,
        ...(latest && { latest }),
      }),
    );
  }
  const problems = [checkpoints, ...results].flatMap((result) => result.problems);
  if (json) {
    print(
      JSON.stringify({ ok: problems.length === 0, checkpoint: checkpoints.newest, problems }, (_k, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v,
      ),
    );
  } else {
    const signedAt = checkpoints.newest?.signedAt;
    print(
      `checkpoint ${checkpoints.newest?.version ?? "none"}${signedAt === undefined ? "" : `, signed ${new Date(signedAt * 1000).toISOString()}`}`,
    );
    for (const result of results) {
      if (result.ok) print(`ok ${result.recordId}: ${result.versions} versions`);
    }
    for (const problem of problems) print(describe(problem));
  }
  return problems.length === 0 ? 0 : 1;
}

function tamper(records: HealthRecords, action: string | undefined, args: string[]): void {
  const [recordId, version] = [args[0], versionNumber(args[1])];
  const db = records.db;
  switch (action) {
    case "edit": {
      const row = db
        .prepare("SELECT fields FROM record_versions WHERE record_id = ? AND version = ?")
        .get(recordId!, version) as { fields: string } | undefined;
      if (row === undefined) throw new UsageError(`${recordId} has no version ${version}`);
      const fields = { ...JSON.parse(row.fields), ...assignments(args.slice(2)) };
      db.prepare("UPDATE record_versions SET fields = ? WHERE record_id = ? AND version = ?").run(
        JSON.stringify(fields),
        recordId!,
        version,
      );
      return;
    }
    case "delete":
      db.prepare("DELETE FROM record_versions WHERE record_id = ? AND version = ?").run(recordId!, version);
      return;
    case "rollback":
      db.prepare("DELETE FROM record_versions WHERE record_id = ? AND version > ?").run(recordId!, version);
      return;
    case "swap": {
      const other = versionNumber(args[2]);
      const proofOf = db.prepare("SELECT proof FROM record_versions WHERE record_id = ? AND version = ?");
      const [a, b] = [proofOf.get(recordId!, version), proofOf.get(recordId!, other)] as {
        proof: Uint8Array;
      }[];
      const set = db.prepare("UPDATE record_versions SET proof = ? WHERE record_id = ? AND version = ?");
      set.run(b!.proof, recordId!, version);
      set.run(a!.proof, recordId!, other);
      return;
    }
    case "copy": {
      const to = args[2];
      if (to === undefined) throw new UsageError("give the record to copy to");
      // The copy becomes the other record's next version, previous link, fields, proof and all.
      db.prepare(
        `INSERT INTO record_versions (record_id, version, previous, fields, hash, proof)
         SELECT ?, (SELECT COALESCE(MAX(version), 0) + 1 FROM record_versions WHERE record_id = ?),
                previous, fields, hash, proof
         FROM record_versions WHERE record_id = ? AND version = ?`,
      ).run(to, to, recordId!, version);
      return;
    }
    default:
      throw new UsageError(`tamper: unknown action ${action}`);
  }
}

/** Runs one command; throws UsageError for bad usage. */
export async function main(argv: string[], context: Context): Promise<number> {
  const { print } = context;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { policy: { type: "string", default: "key" }, json: { type: "boolean", default: false } },
  });
  const [command, path, ...args] = positionals;
  if (path === undefined) throw new UsageError("give a command and the database file");
  const records = new HealthRecords(path);
  try {
    switch (command) {
      case "seed": {
        for (let patient = 1; patient <= 5; patient++) {
          const id = `patient-${1000 + patient}/allergies`;
          records.write(id, { allergy: "none known", changed_by: "dr-tamm", reason: "first visit" });
          records.write(id, {
            allergy: "penicillin",
            changed_by: "dr-tamm",
            reason: "rash after amoxicillin",
          });
          records.write(id, { severity: "severe", changed_by: "dr-kask", reason: "anaphylaxis" });
        }
        print("5 records, 3 versions each, written");
        return 0;
      }
      case "write": {
        const version = records.write(args[0] ?? "", assignments(args.slice(1)));
        print(`${version.recordId} version ${version.version} written`);
        return 0;
      }
      case "sign": {
        const signed = await records.sign(connect(context.env));
        print(`${signed.length} versions signed (checkpoint included)`);
        return 0;
      }
      case "verify":
        return await verify(records, values.policy as PolicyName, values.json, context);
      case "tamper":
        tamper(records, args[0], args.slice(1));
        return 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    records.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = await main(process.argv.slice(2), {
      env: process.env,
      print: (line) => console.log(line),
    });
  } catch (error) {
    // parseArgs reports unknown options as a TypeError with a code.
    if (!(error instanceof UsageError || (error instanceof TypeError && "code" in error))) throw error;
    console.error(`${error.message}\n${USAGE}`);
    process.exitCode = 2;
  }
}
