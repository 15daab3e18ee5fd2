import { TEMPEL_TSA_POLICY } from "@tempel/proto";

export const TSA_ACCESS = ["open", "basic", "certificate"] as const;

export interface TsaOptions {
  /**
   * `open`: anyone who reaches the node gets tokens (the loopback demo); `basic`: HTTP Basic with an
   * agency's login id and key, and the agency is named in the KSI signature's metadata;
   * `certificate`: none at the HTTP port, only at the TLS port (`tlsPort`) by client certificate.
   */
  access: (typeof TSA_ACCESS)[number];
  /** TSTInfo.policy of every token; a request naming another policy is refused (unacceptedPolicy). */
  policy: string;
  /** Worker threads that sign tokens off the event loop; 0 signs on it. */
  signingThreads: number;
  /**
   * HTTPS port serving POST /tsa to agencies that present a client certificate issued by the CA in
   * `clientCaFile`, whose subject CN is the agency's login id; 0: none. Whatever `access` says.
   */
  tlsPort: number;
  /** The TLS server's certificate chain (PEM) and its key (PEM, mode 0600). */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** CA certificates (PEM) that issue agencies' client certificates; no other issuer is accepted. */
  clientCaFile: string;
}

export const defaultTsaOptions: TsaOptions = {
  access: "basic",
  policy: TEMPEL_TSA_POLICY,
  signingThreads: 1,
  tlsPort: 0,
  tlsCertFile: "",
  tlsKeyFile: "",
  clientCaFile: "",
};
