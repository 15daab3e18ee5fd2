import { TEMPEL_TSA_POLICY } from "@tempel/proto";

export const TSA_ACCESS = ["open", "basic"] as const;

export interface TsaOptions {
  /**
   * `open`: anyone who reaches the node gets tokens (the loopback demo); `basic`: HTTP Basic with an
   * agency's login id and key, and the agency is named in the KSI signature's metadata.
   */
  access: (typeof TSA_ACCESS)[number];
  /** TSTInfo.policy of every token; a request naming another policy is refused (unacceptedPolicy). */
  policy: string;
  /** Worker threads that sign tokens off the event loop; 0 signs on it. */
  signingThreads: number;
}

export const defaultTsaOptions: TsaOptions = {
  access: "basic",
  policy: TEMPEL_TSA_POLICY,
  signingThreads: 1,
};
