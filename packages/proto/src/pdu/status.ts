/**
 * KSI PDU status codes (spec §5, libksi net.c). 0x01xx: the client's fault; 0x02xx: the server's;
 * 0x03xx: the server's upstream. 0x0104–0x0107 mean different things for aggregators and extenders,
 * so each service has its own namespace.
 */

interface StatusEntry {
  readonly code: number;
  readonly message: string;
}

const COMMON = {
  OK: { code: 0x0000, message: "The request succeeded" },
  INVALID_REQUEST: { code: 0x0101, message: "The request could not be parsed" },
  AUTHENTICATION_FAILURE: { code: 0x0102, message: "The request could not be authenticated" },
  INVALID_PAYLOAD: { code: 0x0103, message: "The request payload is invalid" },
  INTERNAL_ERROR: { code: 0x0200, message: "The server failed to process the request" },
  UPSTREAM_ERROR: { code: 0x0300, message: "The server's upstream service returned an error" },
  UPSTREAM_TIMEOUT: { code: 0x0301, message: "The server's upstream service did not answer in time" },
} as const satisfies Record<string, StatusEntry>;

const AGGREGATOR = {
  ...COMMON,
  REQUEST_TOO_LARGE: {
    code: 0x0104,
    message: "The client-side aggregation tree is larger than the client may use",
  },
  OVER_QUOTA: {
    code: 0x0105,
    message: "The client's requests in this round exceed its quota; retry in a later round",
  },
  TOO_MANY_REQUESTS: {
    code: 0x0106,
    message: "The client sent too many requests in this round; retry later",
  },
  INPUT_TOO_LONG: { code: 0x0107, message: "The request hash is longer than the server accepts" },
} as const satisfies Record<string, StatusEntry>;

const EXTENDER = {
  ...COMMON,
  INVALID_TIME_RANGE: { code: 0x0104, message: "The requested hash chain would go backwards in time" },
  TIME_TOO_OLD: { code: 0x0105, message: "The requested time is older than the oldest calendar entry" },
  TIME_TOO_NEW: { code: 0x0106, message: "The requested time is newer than the newest calendar entry" },
  TIME_IN_FUTURE: { code: 0x0107, message: "The requested time is in the future" },
  DATABASE_MISSING: { code: 0x0201, message: "The calendar database is missing" },
  DATABASE_CORRUPT: { code: 0x0202, message: "The calendar database is corrupt" },
} as const satisfies Record<string, StatusEntry>;

type Codes<T extends Record<string, StatusEntry>> = { readonly [K in keyof T]: T[K]["code"] };

function codes<T extends Record<string, StatusEntry>>(table: T): Codes<T> {
  return Object.fromEntries(Object.entries(table).map(([name, entry]) => [name, entry.code])) as Codes<T>;
}

/** Statuses every KSI service uses. */
export const PduStatus = codes(COMMON);
export const AggregatorStatus = codes(AGGREGATOR);
export const ExtenderStatus = codes(EXTENDER);

export type StatusService = "aggregator" | "extender";

export interface StatusDescription {
  readonly name: string;
  readonly message: string;
}

/** Name and message of a status code in a service's namespace; undefined for codes KSI does not define. */
export function describeStatus(service: StatusService, code: number): StatusDescription | undefined {
  const table: Record<string, StatusEntry> = service === "aggregator" ? AGGREGATOR : EXTENDER;
  for (const [name, entry] of Object.entries(table)) {
    if (entry.code === code) return { name, message: entry.message };
  }
  return undefined;
}
