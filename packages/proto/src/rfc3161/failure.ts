import { TempelError } from "../errors.ts";

/** PKIFailureInfo bits (RFC 3161 §2.4.2) a node answers with. */
export const FailInfo = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  systemFailure: 25,
} as const;

export type FailInfoName = keyof typeof FailInfo;

/** A time-stamp request the TSA refuses: answered as a `rejection` with `failInfo` and the message. */
export class TimeStampRefusal extends TempelError {
  readonly failInfo: FailInfoName;

  constructor(failInfo: FailInfoName, message: string) {
    super(`TSA_${failInfo.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`, message);
    this.failInfo = failInfo;
  }
}
