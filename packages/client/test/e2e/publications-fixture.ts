import { EMAIL_ADDRESS_OID, encodePublicationsFile, type PublicationData } from "@tempel/proto";
import { makeIdentity, signDetachedCms, type TestIdentity } from "../../../proto/test/unit/pki-fixtures.ts";
import { serve, type TestServer } from "./servers.ts";

/**
 * A publications file as the cluster will publish it (KSIPUBLF, CMS-signed by a certificate under a
 * CA), served over HTTP. Tempel nodes do not serve one yet, so the tests make their own from
 * calendar roots the node certified.
 */

export const PUBLICATIONS_EMAIL = "publications@tempel.test";

export interface PublicationsAuthority {
  readonly ca: TestIdentity;
  readonly signer: TestIdentity;
}

export async function publicationsAuthority(): Promise<PublicationsAuthority> {
  const notBefore = new Date(Date.now() - 86_400_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const ca = await makeIdentity({
    kind: "ECDSA",
    commonName: "Tempel test CA",
    notBefore,
    notAfter,
    ca: true,
    serial: 1,
  });
  const signer = await makeIdentity({
    kind: "ECDSA",
    commonName: "Tempel publications",
    email: PUBLICATIONS_EMAIL,
    notBefore,
    notAfter,
    issuer: ca,
    serial: 2,
  });
  return { ca, signer };
}

export async function publicationsFile(
  authority: PublicationsAuthority,
  publications: readonly PublicationData[],
): Promise<Uint8Array> {
  return encodePublicationsFile(
    {
      header: { version: 1, creationTime: Math.floor(Date.now() / 1000) },
      certificates: [],
      publications: publications.map((publishedData) => ({
        publishedData,
        references: ["Tempel test gazette, page 1"],
        repositoryUris: [],
      })),
    },
    (signedBytes) => signDetachedCms(authority.signer, [authority.signer, authority.ca], signedBytes),
  );
}

/**
 * Serves `bytes()` (read on each request, so a test can publish more later) at `/publications.bin`, as a
 * mirror would, and at `/v1/publications`, as a node does.
 */
export function servePublications(bytes: () => Uint8Array): Promise<TestServer> {
  return serve((request, response) => {
    request.resume();
    if (request.url !== "/publications.bin" && request.url !== "/v1/publications") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/octet-stream" });
    response.end(bytes());
  });
}

export const SIGNER_CONSTRAINTS = { [EMAIL_ADDRESS_OID]: PUBLICATIONS_EMAIL };
