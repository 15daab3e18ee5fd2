export {
  type CalendarSigner,
  certificateIdOf,
  createCalendarCertificate,
  loadCalendarSigner,
  pem,
  readPem,
  SHA256_WITH_RSA_OID,
} from "./calendar-signer.ts";
export { IdentityError, type IdentityErrorCode } from "./errors.ts";
export { generateNodeIdentity, loadNodeIdentity, type NodeIdentity } from "./node-key.ts";
export { type DataPaths, dataPaths } from "./paths.ts";
export { privateFileProblem } from "./private-file.ts";
export { installReflectMetadata } from "./reflect-metadata.ts";
