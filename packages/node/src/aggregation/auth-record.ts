import { type CalendarAuthRecord, decodePublicationData, decodeTlv, type Imprint } from "@tempel/proto";
import { publishedDataBytes } from "../consensus/certificate.ts";
import type { CalendarSigner } from "../identity/calendar-signer.ts";

/**
 * The KSI calendar authentication record for the root at `time`: this node's PKI signature over the
 * published-data element, the same bytes the quorum certificate's shares sign.
 */
export function calendarAuthRecord(signer: CalendarSigner, time: number, root: Imprint): CalendarAuthRecord {
  const published = publishedDataBytes(time, root);
  return {
    publishedData: decodePublicationData(decodeTlv(published)),
    signatureData: {
      signatureType: signer.signatureType,
      signatureValue: signer.sign(published),
      certificateId: signer.certificateId,
    },
  };
}
