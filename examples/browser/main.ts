import { type Signature, TempelClient } from "@tempel/client";

/**
 * The page of an agency's web application: it hashes a document here, has the agency's own server
 * sign the hash (the server holds the agency's HMAC key; this page never sees it), and verifies
 * signatures here against the cluster's genesis, which needs no key and no network.
 */

interface ClusterInfo {
  /** The nodes' API base URLs: the page reads their calendar head directly (no key needed). */
  readonly endpoints: string[];
  /** The cluster's genesis file: the members' public keys and the quorum. */
  readonly genesis: unknown;
}

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const documentInput = element<HTMLInputElement>("document");
const signatureInput = element<HTMLInputElement>("signature");
const signButton = element<HTMLButtonElement>("sign");
const verifyButton = element<HTMLButtonElement>("verify");
const download = element<HTMLButtonElement>("download");
const result = element<HTMLOutputElement>("result");

let client: TempelClient;
let lastSignature: Signature | undefined;

function show(state: "done" | "error", value: unknown): void {
  result.dataset.state = state;
  result.textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** The imprint of a file: KSI's SHA-256 id byte (01) and the digest, as hex. */
async function imprintOf(file: File): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
  return `01${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Verified against the members' keys (quorum certificate) and, keylessly, the chains alone. */
async function check(signature: Signature, file: File) {
  const [key, internal] = await Promise.all([
    signature.verify(file, { policy: "key" }),
    signature.verify(file, { policy: "internal" }),
  ]);
  return {
    aggregationTime: new Date(signature.aggregationTime * 1000).toISOString(),
    agency: signature.agency,
    key: key.code ?? key.result,
    internal: internal.code ?? internal.result,
  };
}

async function sign(): Promise<void> {
  const file = documentInput.files?.[0];
  if (file === undefined) return show("error", "choose a document first");
  const answer = await fetch("/api/sign", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ imprint: await imprintOf(file) }),
  });
  if (!answer.ok)
    return show("error", `the agency's server answered ${answer.status}: ${await answer.text()}`);
  lastSignature = client.decode(new Uint8Array(await answer.arrayBuffer()));
  download.hidden = false;
  show("done", { signed: file.name, ...(await check(lastSignature, file)) });
}

async function verify(): Promise<void> {
  const file = documentInput.files?.[0];
  const signatureFile = signatureInput.files?.[0];
  if (file === undefined) return show("error", "choose the document to verify");
  const signature =
    signatureFile === undefined
      ? lastSignature
      : client.decode(new Uint8Array(await signatureFile.arrayBuffer()));
  if (signature === undefined) return show("error", "choose a signature file, or sign first");
  show("done", { verified: file.name, ...(await check(signature, file)) });
}

/** Saves the last signature as a .ksig file, which `tempel verify` and any KSI verifier read. */
function save(): void {
  if (lastSignature === undefined) return;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([lastSignature.encode() as Uint8Array<ArrayBuffer>]));
  link.download = `${documentInput.files?.[0]?.name ?? "document"}.ksig`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

const failed = (error: unknown) => show("error", error instanceof Error ? error.message : String(error));
signButton.addEventListener("click", () => sign().catch(failed));
verifyButton.addEventListener("click", () => verify().catch(failed));
download.addEventListener("click", save);

async function start(): Promise<void> {
  const cluster = (await (await fetch("/api/cluster")).json()) as ClusterInfo;
  // No agency: this client can verify and read the calendar, not sign or extend.
  client = new TempelClient({ endpoints: cluster.endpoints, trust: { genesis: cluster.genesis } });
  const head = await client.head();
  show("done", { cluster: cluster.endpoints, certifiedUpTo: head.certified?.time ?? null });
  signButton.disabled = false;
  verifyButton.disabled = false;
}

start().catch(failed);
