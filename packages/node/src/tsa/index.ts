export { type ClientCertificate, TimeStampAuthority, type TsaModules, tokenSerial } from "./authority.ts";
export type { TsaKeyType } from "./certificates.ts";
export { TsaError, type TsaErrorCode } from "./errors.ts";
export { caFiles, type TsaFiles, tsaFiles } from "./files.ts";
export type { TsaMetrics } from "./metrics.ts";
export { defaultTsaOptions, TSA_ACCESS, type TsaOptions } from "./options.ts";
export { initTsaCa, issueNodeTsa, nodeCertificationRequest } from "./setup.ts";
export { hasTsaFiles, loadTsaSigner, type TsaSigner } from "./signer.ts";
export { SigningPool } from "./signing-pool.ts";
