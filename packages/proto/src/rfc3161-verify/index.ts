export type { AnchorState, AnchorVerdict } from "./anchor-verdict.ts";
export { ksiAnchorVerdict, tokenKsiSignature } from "./ksi-anchor.ts";
export {
  IMPRINT_ALGORITHMS,
  MAX_TIMESTAMP_TOKEN_BYTES,
  OID as RFC3161_OID,
  parseTimestampToken,
  type TimestampToken,
  type TstInfo,
} from "./timestamp-token.ts";
export { TimestampTokenError } from "./timestamp-token-error.ts";
export { type TokenVerdict, tokenVerdict } from "./token-verdict.ts";
export { type TsaKeyOptions, type TsaKeyVerdict, verifyTsaKey } from "./verify-tsa-key.ts";
