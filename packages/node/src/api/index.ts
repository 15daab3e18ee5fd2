export { type AdminModules, adminHandler } from "./admin.ts";
export {
  HMAC_HEADER,
  JsonApi,
  type JsonApiModules,
  type JsonApiOptions,
  LOGIN_ID_HEADER,
} from "./json-api.ts";
export { type KsiEndpointModules, type KsiEndpointOptions, KsiEndpoints } from "./ksi-endpoints.ts";
export type { ApiMetrics } from "./metrics.ts";
export { type ApiOptions, defaultApiOptions } from "./options.ts";
export { type ApiModules, type ApiServer, startApiServer } from "./server.ts";
