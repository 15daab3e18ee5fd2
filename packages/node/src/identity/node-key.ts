import { readFileSync } from "node:fs";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { Ed25519PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { IdentityError } from "./errors.ts";
import { privateFileProblem } from "./private-file.ts";

/** The node's Ed25519 identity: its libp2p peer id and the key that signs certificate shares. */
export interface NodeIdentity {
  readonly privateKey: Ed25519PrivateKey;
  /** libp2p peer id string: the member id in the genesis. */
  readonly id: string;
  /** Raw 32-byte public key. */
  readonly publicKey: Uint8Array;
}

export async function generateNodeIdentity(): Promise<{ identity: NodeIdentity; encoded: Uint8Array }> {
  const privateKey = await generateKeyPair("Ed25519");
  return { identity: identityOf(privateKey), encoded: privateKeyToProtobuf(privateKey) };
}

const MAX_KEY_FILE_BYTES = 1024;

export function loadNodeIdentity(file: string): NodeIdentity {
  const exposed = privateFileProblem(file, "node key");
  if (exposed !== undefined) throw new IdentityError("KEY_FILE_EXPOSED", exposed);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new IdentityError("NODE_KEY_MISSING", `cannot read node key ${file}: ${(error as Error).message}`);
  }
  if (bytes.length > MAX_KEY_FILE_BYTES) {
    throw new IdentityError("NODE_KEY_INVALID", `node key ${file} is too large to be an Ed25519 key`);
  }
  let key: ReturnType<typeof privateKeyFromProtobuf>;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (error) {
    throw new IdentityError(
      "NODE_KEY_INVALID",
      `node key ${file} is not a libp2p private key: ${(error as Error).message}`,
    );
  }
  if (key.type !== "Ed25519") {
    throw new IdentityError(
      "NODE_KEY_INVALID",
      `node key ${file} is a ${key.type} key; an Ed25519 key is required`,
    );
  }
  return identityOf(key);
}

function identityOf(privateKey: Ed25519PrivateKey): NodeIdentity {
  return {
    privateKey,
    id: peerIdFromPrivateKey(privateKey).toString(),
    publicKey: privateKey.publicKey.raw,
  };
}
