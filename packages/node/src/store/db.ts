import { bytesEqual, toHex } from "@tempel/proto";
import { Level } from "level";
import { Bucket } from "./buckets.ts";
import { StoreError } from "./errors.ts";
import { nameKey } from "./keys.ts";

/** The node's LevelDB, with Uint8Array keys and values. */
export type NodeDb = Level<Uint8Array, Uint8Array>;

/** Bumped when the key layout or a value encoding changes incompatibly. */
const SCHEMA_VERSION = Uint8Array.of(1);
const SCHEMA_KEY = nameKey(Bucket.meta, "schema");
const GENESIS_KEY = nameKey(Bucket.meta, "genesis");
const NODE_KEY = nameKey(Bucket.meta, "node");

export interface DbOwner {
  /** SHA-256 of the genesis the data belongs to. */
  readonly genesisHash: Uint8Array;
  /** The node's peer id. */
  readonly nodeId: string;
}

/**
 * Open the node's database, creating it on first use unless `create` is false. A database written
 * for another cluster, another node or another schema is refused: serving from it would mix two
 * calendars.
 */
export async function openNodeDb(path: string, owner: DbOwner, create = true): Promise<NodeDb> {
  const db: NodeDb = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
  try {
    await db.open({ createIfMissing: create });
  } catch (error) {
    const cause = (error as { cause?: Error }).cause ?? (error as Error);
    throw new StoreError("STORE_OPEN", `cannot open the database at ${path}: ${cause.message}`);
  }
  try {
    await checkOwner(db, path, owner);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

async function checkOwner(db: NodeDb, path: string, owner: DbOwner): Promise<void> {
  const nodeId = new TextEncoder().encode(owner.nodeId);
  const [schema, genesis, node] = await db.getMany([SCHEMA_KEY, GENESIS_KEY, NODE_KEY]);
  if (schema === undefined && genesis === undefined && node === undefined) {
    await db.batch(
      [
        { type: "put", key: SCHEMA_KEY, value: SCHEMA_VERSION },
        { type: "put", key: GENESIS_KEY, value: owner.genesisHash },
        { type: "put", key: NODE_KEY, value: nodeId },
      ],
      { sync: true },
    );
    return;
  }
  if (schema === undefined || !bytesEqual(schema, SCHEMA_VERSION)) {
    throw new StoreError(
      "STORE_SCHEMA",
      `the database at ${path} has schema ${schema === undefined ? "(none)" : toHex(schema)}, this node reads ${toHex(SCHEMA_VERSION)}`,
    );
  }
  if (genesis === undefined || !bytesEqual(genesis, owner.genesisHash)) {
    throw new StoreError(
      "STORE_FOREIGN_GENESIS",
      `the database at ${path} belongs to another cluster (genesis hash ${genesis === undefined ? "(none)" : toHex(genesis)}, the genesis file hashes to ${toHex(owner.genesisHash)})`,
    );
  }
  if (node === undefined || !bytesEqual(node, nodeId)) {
    throw new StoreError(
      "STORE_FOREIGN_NODE",
      `the database at ${path} belongs to another node (${node === undefined ? "(none)" : new TextDecoder().decode(node)}, this node is ${owner.nodeId})`,
    );
  }
}

/**
 * classic-level hands out Buffers for "view" values; Buffer's `slice` shares memory where
 * Uint8Array's copies, so values leave the store as plain Uint8Array views (no copy).
 */
export function plainView(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
