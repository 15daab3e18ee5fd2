export * from "./errors.ts";
export * from "./hash/index.ts";
export * from "./pdu/index.ts";
export * from "./publication/index.ts";
export * from "./signature/index.ts";
export * from "./tlv/index.ts";
export * from "./util/bytes.ts";
