export * from "./errors.ts";
export * from "./hash/index.ts";
export * from "./signature/types.ts";
export * from "./tlv/index.ts";
export * from "./util/bytes.ts";
