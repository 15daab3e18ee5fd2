import {
  DEFAULT_PUBLICATION_SCHEDULE,
  FormatError,
  type PublicationSchedule,
  parsePublicationSchedule,
} from "@tempel/proto";
import { AUTHORITY_FILES, initPublicationsAuthority } from "./authority.ts";
import { PublicationError } from "./errors.ts";

export const PUBLICATIONS_CA_HELP = `Usage: tempel-node publications-ca init --out DIR --email ADDRESS --cluster ID [schedule]

Creates the cluster's publications authority in DIR: a CA key and certificate
(${AUTHORITY_FILES.caKey}, ${AUTHORITY_FILES.caCertificate}) and the key and certificate that sign
the publications file (${AUTHORITY_FILES.key}, ${AUTHORITY_FILES.certificate}), whose subject
carries ADDRESS. Name the authority in the cluster's genesis before its first start: give DIR to
\`tempel-node genesis --publications-authority DIR\`, or put the "publications" object printed here
(the CA, ADDRESS and the schedule) into a one-member genesis. Copy the publications key and
certificate into the data folder of the node that publishes; keep the CA key offline. Never
overwrites a file.

Options:
  --out DIR             folder for the four PEM files (created if missing)
  --email ADDRESS       e-mail address verifiers require in the signer's subject
  --cluster ID          the cluster id (goes into the certificates' names)
  --interval SECONDS    publish every SECONDS since the epoch (default 86400: daily at 00:00 UTC)
  --day-of-month D      publish at 00:00 UTC on day D (1..28) of every month instead
`;

/** parseArgs options of `publications-ca init`. */
export const PUBLICATIONS_CA_OPTIONS = {
  out: { type: "string" },
  email: { type: "string" },
  cluster: { type: "string" },
  interval: { type: "string" },
  "day-of-month": { type: "string" },
} as const;

export interface PublicationsCaValues {
  readonly out?: string | undefined;
  readonly email?: string | undefined;
  readonly cluster?: string | undefined;
  readonly interval?: string | undefined;
  readonly "day-of-month"?: string | undefined;
}

function usage(message: string): PublicationError {
  return new PublicationError("USAGE", message);
}

function scheduleFrom(values: PublicationsCaValues): PublicationSchedule {
  const interval = values.interval;
  const day = values["day-of-month"];
  if (interval === undefined && day === undefined) return DEFAULT_PUBLICATION_SCHEDULE;
  const number = (text: string) => (/^\d{1,9}$/.test(text) ? Number(text) : Number.NaN);
  try {
    return parsePublicationSchedule({
      ...(interval !== undefined && { intervalSeconds: number(interval) }),
      ...(day !== undefined && { dayOfMonth: number(day) }),
    });
  } catch (error) {
    if (error instanceof FormatError) throw usage(error.message);
    throw error;
  }
}

/**
 * `tempel-node publications-ca init` with its parsed flags; returns the text to print. Bad or missing
 * flags are PublicationErrors with code USAGE.
 */
export async function publicationsCaInit(values: PublicationsCaValues, nowSeconds: number): Promise<string> {
  const { out, email, cluster } = values;
  if (out === undefined || email === undefined || cluster === undefined) {
    throw usage("publications-ca init needs --out DIR, --email ADDRESS and --cluster ID");
  }
  const schedule = scheduleFrom(values);
  const result = await initPublicationsAuthority({
    outDir: out,
    email,
    clusterId: cluster,
    now: nowSeconds,
    schedule,
  });
  return [
    `created the publications authority in ${out}`,
    `  CA certificate        ${result.files.caCertificate}`,
    `  CA key (keep offline) ${result.files.caKey}`,
    `  publications key      ${result.files.key}`,
    `  publications cert     ${result.files.certificate}`,
    `copy ${AUTHORITY_FILES.key} and ${AUTHORITY_FILES.certificate} into the publishing node's data folder;`,
    `the genesis "publications" object:`,
    JSON.stringify(result.genesisPublications, null, 2),
    "",
  ].join("\n");
}
