/** What the TSA reports; created with the node's other metrics (metrics/). */
export interface TsaMetrics {
  /** `tempel_tsa_responses_total{status, fail_info}`: replies sent, granted or refused and why. */
  readonly responses: { inc(labels: Record<"status" | "fail_info", string>): void };
  /** `tempel_tsa_token_signing_duration_seconds`: from a certified round to one signed token. */
  readonly signingDuration: { observe(seconds: number): void };
  /** `tempel_tsa_request_duration_seconds`: from the parsed request to its token. */
  readonly requestDuration: { observe(seconds: number): void };
}
