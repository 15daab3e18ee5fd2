export * from "./codec.ts";
export * from "./element.ts";
export * from "./fields.ts";
export * from "./values.ts";
