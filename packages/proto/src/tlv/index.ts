export * from "./codec.ts";
export * from "./element.ts";
export * from "./values.ts";
export * from "./fields.ts";
