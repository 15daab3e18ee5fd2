import { createPrivateKey, sign } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";

/** Signs batches of SHA-256 inputs with the TSA key given as PKCS#8 PEM (see signing-pool.ts). */
const key = createPrivateKey(workerData as string);
parentPort!.on("message", ({ id, inputs }: { id: number; inputs: Uint8Array[] }) => {
  const signatures = inputs.map((input) => new Uint8Array(sign("sha256", input, key)));
  parentPort!.postMessage(
    { id, signatures },
    signatures.map((s) => s.buffer as ArrayBuffer),
  );
});
