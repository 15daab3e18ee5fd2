// Node-only: what proto's pure core leaves injectable, implemented on node:crypto.
export { nodeHasher } from "./node-hasher.ts";
