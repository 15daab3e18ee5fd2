export {
  type CertificateExtension,
  type CertificateFields,
  encodeCertificationRequestInfo,
  encodeName,
  encodeSigned,
  encodeTbsCertificate,
  readCertificate,
  readExtendedKeyUsage,
  roleExtensions,
  type TbsFields,
} from "./certificate.ts";
export {
  compareBytes,
  contextTag,
  type DerElement,
  DerFields,
  der,
  derAlgorithm,
  derBitString,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  derUnsignedInteger,
  integerContents,
  readAlgorithm,
  readBoolean,
  readChildren,
  readElement,
  readInteger,
  readOid,
  readSingle,
  readTime,
  TAG,
} from "./der.ts";
export { FailInfo, type FailInfoName, TimeStampRefusal } from "./failure.ts";
export { TEMPEL_ARC, TEMPEL_KSI_SIGNATURE_ATTRIBUTE, TEMPEL_TSA_POLICY, TSA_HASHES } from "./oids.ts";
export { parseTimeStampRequest, type TimeStampRequest } from "./request.ts";
export { rejectionResponse } from "./response.ts";
export { TimestampTokenError } from "./timestamp-token-error.ts";
export {
  encodeAttribute,
  encodeTstInfo,
  signingCertificateV2,
  type TokenSigner,
  TokenWriter,
  type TstInfoFields,
  type UnsignedToken,
} from "./token.ts";
export {
  type Attributes,
  MAX_TIMESTAMP_TOKEN_BYTES,
  readOctets,
  readTimeStampResponse,
  readTimeStampToken,
  type SignerInfoParts,
  type TimeStampResponse,
  type TimeStampToken,
  type TstInfo,
  tempelKsiSignatureOf,
} from "./token-reader.ts";
export type { AnchorState, AnchorVerdict } from "./verify-anchor-verdict.ts";
export { ksiAnchorVerdict, tokenKsiSignature } from "./verify-ksi-anchor.ts";
export { type TokenVerdict, tokenVerdict } from "./verify-token-verdict.ts";
export { type TsaKeyOptions, type TsaKeyVerdict, verifyTsaKey } from "./verify-tsa-key.ts";
