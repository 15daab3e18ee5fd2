export { decodePublicationString, encodePublicationString } from "./publication-string.ts";
export {
  type CertificateRecord,
  decodePublicationsFile,
  encodePublicationsFile,
  MAX_PUBLICATIONS_FILE_BYTES,
  PUBLICATIONS_FILE_MAGIC,
  PUBLICATIONS_FILE_VERSION,
  type PublicationsFile,
  type PublicationsFileContent,
  type PublicationsFileHeader,
  type PublicationsFileSigner,
} from "./publications-file.ts";
