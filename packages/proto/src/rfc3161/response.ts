import { derInteger, derNamedBits, derSequence, derUtf8 } from "./der.ts";
import { FailInfo, type FailInfoName } from "./failure.ts";

/** A TimeStampResp refusing: status rejection, the reason as statusString, and the failInfo bit. */
export function rejectionResponse(failInfo: FailInfoName, reason: string): Uint8Array {
  return derSequence(
    derSequence(derInteger(2), derSequence(derUtf8(reason)), derNamedBits([FailInfo[failInfo]])),
  );
}
