export {
  AUTHORITY_FILES,
  createPublicationsAuthority,
  type PublicationsAuthorityKeys,
  readPublicationsAuthority,
} from "./authority.ts";
export { PUBLICATIONS_CA_HELP, PUBLICATIONS_CA_OPTIONS, publicationsCaInit } from "./ca-command.ts";
export {
  checkStoredPublications,
  createPublicationService,
  type PublicationServiceModules,
} from "./create-publication-service.ts";
export { PublicationError, type PublicationErrorCode } from "./errors.ts";
export type { PublicationMetrics } from "./metrics.ts";
export { defaultPublicationOptions, type PublicationOptions } from "./options.ts";
export type { PublicationCalendar, PublicationService } from "./publication-service.ts";
export type { ServedFile } from "./served-file.ts";
