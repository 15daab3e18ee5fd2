export {
  MAX_CERTIFICATE_BYTES,
  parseCertificate,
  type SubjectAttribute,
  type X509Certificate,
} from "./certificate.ts";
export {
  COMMON_NAME_OID,
  type DetachedCmsOptions,
  EMAIL_ADDRESS_OID,
  type SignerConstraints,
  verifyDetachedCms,
} from "./detached-cms.ts";
export { OID } from "./oids.ts";
export { PkiError } from "./pki-error.ts";
export { SIGNATURE_ALGORITHMS } from "./signature-algorithms.ts";
export { verifyPublicationsFile } from "./verify-publications-file.ts";
export { verifyRawSignature } from "./verify-raw-signature.ts";
