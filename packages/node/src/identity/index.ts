export {
  type CalendarSigner,
  certificateIdOf,
  loadCalendarSigner,
  pem,
  readPem,
  SHA256_WITH_RSA_OID,
} from "./calendar-signer.ts";
export { IdentityError } from "./errors.ts";
export { type InitOptions, type InitResult, initDataDir } from "./init.ts";
export { loadNodeIdentity, type NodeIdentity } from "./node-key.ts";
export { type DataPaths, dataPaths } from "./paths.ts";
export { privateFileProblem } from "./private-file.ts";
