export * from "./algorithms.ts";
export * from "./hasher.ts";
export * from "./imprint.ts";
