import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_PUBLICATION_SCHEDULE, type PublicationSchedule } from "@tempel/proto";
import { ConfigError } from "../config/index.ts";
import {
  byzantineTolerance,
  type Genesis,
  genesisToJson,
  type MergeSettings,
  mergeGenesis,
  readMemberProposal,
} from "../genesis/index.ts";
import { IdentityError } from "../identity/index.ts";
import { AUTHORITY_FILES, readPublicationsAuthority } from "../publication/index.ts";

/**
 * Each publication grows the file every verifying client fetches; a schedule an operator types is
 * kept at a minute or more (test clusters write shorter ones into their genesis directly).
 */
const MIN_INTERVAL_SECONDS = 60;
/** A year: a publication is what lets signatures outlive the cluster's keys. */
const MAX_INTERVAL_SECONDS = 366 * 86_400;

const GENESIS_HELP = `Usage: tempel-node genesis --member DIR_OR_FILE --member DIR_OR_FILE ... --out FILE [options]

Builds one cluster's genesis from its members' \`tempel-node init\` outputs. Each --member is a
member's data folder or, for a member on another machine, the genesis.json its init wrote (public
facts only: peer id, public key, p2p addresses, API URL, certificate). Checks that the members are
distinct (peer ids, p2p addresses, API URLs), that their p2p addresses can be dialled over TCP, that
their certificates are valid at the genesis time, and that no member folder has run yet (a node's
store is bound to the genesis it first ran with). Writes FILE and never overwrites one.

Every member then runs with this same file: before a member's first start, either pass
--genesis-file FILE to \`tempel-node start\` (or set "genesisFile" in its config) or copy FILE over
the genesis.json in its data folder. A node whose key is not a member of its genesis refuses to start.

Options:
  --member DIR_OR_FILE   a member, repeatable (required)
  --out FILE             the cluster genesis to write (required)
  --quorum Q             member signatures that certify a calendar root
                         (default: the smallest majority, floor(N/2) + 1)
  --cluster-id ID        1..64 characters of a-z, 0-9 and '-'
                         (default: derived from the members and the genesis time)
  --genesis-time T       the calendar's first real second: Unix seconds, or ISO 8601 with a zone
                         such as 2026-01-01T00:00:00Z (default: now)
  --publication-schedule SCHEDULE
                         when the cluster publishes a calendar root (default: what the members'
                         own genesis files name; \`tempel-node init\` names daily):
                           daily       at 00:00:00 UTC every day
                           every:S     at every multiple of S seconds since the Unix epoch,
                                       S from ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS} (every:3600 = each full hour UTC)
                           monthly:D   at 00:00:00 UTC on day D (1..28) of every month
  --publications-authority DIR
                         the folder \`tempel-node publications-ca init --out DIR\` wrote: the genesis
                         names its CA (${AUTHORITY_FILES.caCertificate}) and the e-mail address of
                         its publications certificate (${AUTHORITY_FILES.certificate}) as the
                         signer of the cluster's publications file; the CA key is not read
                         (default: the authority a member's own genesis names, if any; members
                         naming different ones are an error)

Choosing Q for N members:
  - The cluster certifies a second while Q members are up and in touch: it survives N - Q members
    down. N = 3, Q = 2 survives one; N = 5, Q = 3 survives two.
  - Q must be a majority (Q > N/2). Two quorums then share a member, and a member never signs two
    roots for one second: crashes, restarts and partitions can never yield two certified roots.
  - Against members that are malicious (sign any root), two quorums share at least 2Q - N members,
    so up to 2Q - N - 1 such members cannot forge a second certificate. Q > 2N/3 tolerates
    floor((N - 1) / 3) of them while the rest stay live: N = 4, Q = 3 survives one malicious member
    or one member down; N = 7, Q = 5 two. A majority quorum (N = 3, Q = 2) trusts every member.
`;

/** `tempel-node genesis`: exit code 0 once the file is written; throws on bad usage or bad members. */
export function genesisCommand(args: string[]): number {
  const values = parseOptions(args);
  if (values.help === true) {
    process.stdout.write(GENESIS_HELP);
    return 0;
  }
  const members = values.member ?? [];
  if (members.length === 0) usage("genesis needs at least one --member DIR_OR_FILE");
  const out = values.out;
  if (out === undefined) usage("genesis needs --out FILE");
  const genesis = writeGenesis(out, members, {
    genesisTime:
      values["genesis-time"] === undefined
        ? Math.floor(Date.now() / 1000)
        : parseTime(values["genesis-time"]),
    ...(values.quorum !== undefined && { quorum: parseQuorum(values.quorum) }),
    ...(values["cluster-id"] !== undefined && { clusterId: values["cluster-id"] }),
    ...(values["publication-schedule"] !== undefined && {
      schedule: parseSchedule(values["publication-schedule"]),
    }),
    ...(values["publications-authority"] !== undefined && {
      authority: readPublicationsAuthority(values["publications-authority"]),
    }),
  });
  const { schedule, authority } = genesis.publications;
  const n = genesis.members.length;
  const q = genesis.quorum;
  const byzantine = byzantineTolerance(n, q);
  process.stdout.write(
    [
      `wrote ${out}`,
      `  cluster      ${genesis.clusterId} (genesis ${new Date(genesis.genesisTime * 1000).toISOString()})`,
      `  quorum       ${q} of ${n}: certifies with up to ${n - q} member(s) down; ` +
        (byzantine === 0
          ? "assumes no member is malicious"
          : `no second certificate even if ${byzantine} member(s) are malicious`),
      ...genesis.members.map((m) => `  member       ${m.id}  ${m.apiUrl}  ${m.multiaddrs.join(" ")}`),
      `  publishes    ${scheduleText(schedule)}; ` +
        (authority === undefined
          ? "no publications file (no --publications-authority)"
          : `publications file signed as ${authority.email}`),
      "start every member with this genesis before its first start:",
      `  tempel-node start --config <member's config.json> --genesis-file ${out}`,
      "",
    ].join("\n"),
  );
  return 0;
}

/**
 * Build the genesis of the members that `memberPaths` (data folders or one-member genesis files)
 * propose and write it to `out`, which must not exist yet. Throws IdentityError naming the problem.
 */
function writeGenesis(out: string, memberPaths: readonly string[], settings: MergeSettings): Genesis {
  const genesis = mergeGenesis(memberPaths.map(readMemberProposal), settings);
  try {
    writeFileSync(out, JSON.stringify(genesisToJson(genesis), null, 2) + "\n", { flag: "wx", mode: 0o644 });
  } catch (error) {
    const exists = (error as NodeJS.ErrnoException).code === "EEXIST";
    throw new IdentityError(
      "GENESIS_FILE",
      exists
        ? `${out} already exists; genesis never overwrites a cluster's genesis`
        : `cannot write ${out}: ${(error as Error).message}`,
    );
  }
  return genesis;
}

function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        member: { type: "string", multiple: true },
        out: { type: "string" },
        quorum: { type: "string" },
        "cluster-id": { type: "string" },
        "genesis-time": { type: "string" },
        "publication-schedule": { type: "string" },
        "publications-authority": { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return usage((error as Error).message);
  }
}

function usage(message: string): never {
  throw new ConfigError("USAGE", `${message}; see tempel-node genesis --help`);
}

function parseQuorum(text: string): number {
  if (!/^[1-9]\d{0,2}$/.test(text)) usage(`--quorum ${JSON.stringify(text)} is not a member count`);
  return Number(text);
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.0+)?(Z|[+-]\d{2}:\d{2})$/;

function parseTime(text: string): number {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const ms = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    usage(`--genesis-time ${JSON.stringify(text)} is neither Unix seconds nor an ISO 8601 time with a zone`);
  }
  return ms / 1000;
}

function parseSchedule(text: string): PublicationSchedule {
  if (text === "daily") return DEFAULT_PUBLICATION_SCHEDULE;
  const match = /^(every|monthly):(\d{1,8})$/.exec(text);
  const value = match === null ? 0 : Number(match[2]);
  if (match?.[1] === "every" && value >= MIN_INTERVAL_SECONDS && value <= MAX_INTERVAL_SECONDS) {
    return { intervalSeconds: value };
  }
  if (match?.[1] === "monthly" && value >= 1 && value <= 28) return { dayOfMonth: value };
  return usage(
    `--publication-schedule ${JSON.stringify(text)} must be daily, every:S with S from ` +
      `${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS} seconds, or monthly:D with D from 1 to 28`,
  );
}

function scheduleText(schedule: PublicationSchedule): string {
  if (schedule.dayOfMonth !== undefined) return `monthly on day ${schedule.dayOfMonth} at 00:00 UTC`;
  return schedule.intervalSeconds === 86_400 ? "daily at 00:00 UTC" : `every ${schedule.intervalSeconds} s`;
}
