import {
  bytesEqual,
  decodeQuorumCertificate,
  decodeTlv,
  type Imprint,
  MAX_PDU_BYTES,
  type QuorumCertificate,
  TempelError,
} from "@tempel/proto";
import { ProtocolError } from "../errors.ts";
import { base64At, countAt, imprintAt, objectAt } from "./json-fields.ts";

/** The newest calendar root a quorum of the cluster's members signed. */
export interface CertifiedRoot {
  readonly time: number;
  readonly root: Imprint;
  readonly certificate: QuorumCertificate;
}

/** A node's view of the calendar's end (GET /v1/calendar/head). */
export interface CalendarHead {
  readonly genesisTime: number;
  /** The newest second in the calendar; absent before the first round. */
  readonly time?: number;
  readonly root?: Imprint;
  readonly certified?: CertifiedRoot;
}

function readCertified(value: unknown, endpoint: string): CertifiedRoot {
  const json = objectAt(value, "certified");
  const time = countAt(json.time, "certified.time");
  const root = imprintAt(json.root, "certified.root");
  let certificate: QuorumCertificate;
  try {
    certificate = decodeQuorumCertificate(
      decodeTlv(base64At(json.certificate, "certified.certificate", MAX_PDU_BYTES)),
    );
  } catch (error) {
    if (!(error instanceof TempelError) || error instanceof ProtocolError) throw error;
    throw new ProtocolError(
      "BAD_JSON",
      `${endpoint}: the head's quorum certificate does not parse: ${error.message}`,
    );
  }
  const certified = certificate.publishedData;
  if (certified.publicationTime !== time || !bytesEqual(certified.publishedHash, root)) {
    throw new ProtocolError("BAD_JSON", `${endpoint}: the head's quorum certificate is for another root`);
  }
  return { time, root, certificate };
}

export function readCalendarHead(value: unknown, endpoint: string): CalendarHead {
  const json = objectAt(value, "calendar head");
  const genesisTime = countAt(json.genesisTime, "genesisTime");
  if (json.time === null) return { genesisTime };
  return {
    genesisTime,
    time: countAt(json.time, "time"),
    root: imprintAt(json.root, "root"),
    ...(json.certified !== undefined && { certified: readCertified(json.certified, endpoint) }),
  };
}
