// Node-only: what the SDK's platform-neutral core leaves injectable, implemented on Node's modules.

export { nodeHasher } from "@tempel/proto/node";
export { nodeHttpTransport } from "./http-transport.ts";
export { LogBlockHashers } from "./log-block-hashers.ts";
export { type OpenedLogsigFile, openLogsigFile } from "./logsig-file.ts";
export { nodeWatchFiles } from "./watch-files.ts";
