import {
  type CalendarAuthRecord,
  decodePublicationData,
  decodeTlv,
  encodePublicationData,
  encodeTlv,
  type Imprint,
} from "@tempel/proto";
import type { CalendarSigner } from "../identity/index.ts";

/**
 * The KSI calendar authentication record for the root at `time`: this node's PKI signature over the
 * published-data element, the same bytes the quorum certificate's shares sign.
 */
export function calendarAuthRecord(signer: CalendarSigner, time: number, root: Imprint): CalendarAuthRecord {
  const published = encodeTlv(encodePublicationData({ publicationTime: time, publishedHash: root }));
  return {
    publishedData: decodePublicationData(decodeTlv(published)),
    signatureData: {
      signatureType: signer.signatureType,
      signatureValue: signer.sign(published),
      certificateId: signer.certificateId,
    },
  };
}
