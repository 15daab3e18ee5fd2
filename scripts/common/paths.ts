import { join, resolve } from "node:path";

/** The repository the scripts live in: they start its node and client code straight from source. */
export const REPO_ROOT = resolve(import.meta.dirname, "../..");

/** `tempel-node`, run by Node's type stripping like every script. */
export const NODE_CLI = join(REPO_ROOT, "packages/node/src/cli/main.ts");

/** The local cluster's home (git-ignored): data folders, logs and `cluster.json`. */
export const DEFAULT_DATA_DIR = join(REPO_ROOT, ".tempel");

/** Where `tempel` finds the running cluster: this name in a `.tempel` folder, looked up from the cwd. */
export const CLUSTER_FILE_NAME = "cluster.json";

/**
 * What `tempel verify` trusts once the cluster is stopped: this name in the same `.tempel` folder,
 * kept when cluster.json is deleted.
 */
export const TRUST_FILE_NAME = "trust.json";
