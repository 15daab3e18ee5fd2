import { generateKeyPairSync, type KeyObject, X509Certificate } from "node:crypto";
import { request } from "node:https";
import { encodeSigned, encodeTbsCertificate } from "@tempel/proto";
import { createCaCertificate, nameOf, signatureAlgorithmOf, signSha256 } from "../../src/tsa/certificates.ts";

/** A CA for agencies' TLS client certificates, made with the node's own certificate code. */
export interface TestCa {
  readonly key: KeyObject;
  readonly name: string;
  readonly pem: string;
}

export function testCa(name = "Agencies CA"): TestCa {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = createCaCertificate(privateKey, name, Math.floor(Date.now() / 1000));
  return { key: privateKey, name, pem: new X509Certificate(der).toString() };
}

export interface TestCertificate {
  readonly key: KeyObject;
  readonly name: string;
  readonly pem: string;
  readonly keyPem: string;
}

/** A certificate for a fresh P-256 key, signed by `issuer` (itself when absent), without extensions. */
export function testCertificate(
  commonName: string,
  issuer?: Pick<TestCa, "key" | "name">,
  validFrom = Math.floor(Date.now() / 1000) - 60,
) {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signing = issuer ?? { key: privateKey, name: commonName };
  const tbs = encodeTbsCertificate({
    serialNumber: BigInt(Math.floor(Math.random() * 2 ** 48)),
    signatureAlgorithm: signatureAlgorithmOf(signing.key),
    issuer: nameOf(signing.name),
    subject: nameOf(commonName),
    notBefore: validFrom,
    notAfter: validFrom + 86_400,
    subjectPublicKeyInfo: new Uint8Array(publicKey.export({ type: "spki", format: "der" })),
    extensions: [],
  });
  const der = encodeSigned(tbs, signatureAlgorithmOf(signing.key), signSha256(signing.key, tbs));
  return {
    key: privateKey,
    name: commonName,
    pem: new X509Certificate(der).toString(),
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

/** POST /tsa over TLS on loopback, trusting `caPem` for the server, with `client`'s certificate if given. */
export function postTsaOverTls(
  port: number,
  caPem: string,
  body: Uint8Array,
  client?: TestCertificate,
): Promise<{ status: number; type: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: "127.0.0.1",
        port,
        path: "/tsa",
        method: "POST",
        headers: { "content-type": "application/timestamp-query" },
        ca: caPem,
        // The server's certificate names no IP address: the tests are about the client's certificate.
        checkServerIdentity: () => undefined,
        agent: false,
        ...(client !== undefined && { cert: client.pem, key: client.keyPem }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode!,
            type: response.headers["content-type"]?.split(";")[0],
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
