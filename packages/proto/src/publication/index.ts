export {
  certificateFromPem,
  certificateToPem,
  DEFAULT_GENESIS_PUBLICATIONS,
  type GenesisPublications,
  genesisPublicationsToJson,
  type PublicationsAuthority,
  parseGenesisPublications,
  publicationsFileTrust,
} from "./genesis-publications.ts";
export {
  DEFAULT_PUBLICATION_SCHEDULE,
  nextPublicationTime,
  type PublicationSchedule,
  parsePublicationSchedule,
  publicationScheduleToJson,
} from "./publication-schedule.ts";
export { decodePublicationString, encodePublicationString } from "./publication-string.ts";
export {
  type CertificateRecord,
  decodePublicationsFile,
  encodePublicationsFile,
  firstPublicationCovering,
  MAX_PUBLICATIONS_FILE_BYTES,
  PUBLICATIONS_FILE_MAGIC,
  PUBLICATIONS_FILE_VERSION,
  type PublicationsFile,
  type PublicationsFileContent,
  type PublicationsFileHeader,
  type PublicationsFileSigner,
} from "./publications-file.ts";
export { type PublicationsCmsSignerOptions, publicationsCmsSigner } from "./publications-file-cms.ts";
export { comparePublications, type PublicationsGrowth } from "./publications-growth.ts";
