import { encodePublicationString, toHex } from "@tempel/proto";
import type { ServedFile } from "../publication/index.ts";
import { HttpError } from "./http-error.ts";
import { sendJson } from "./respond.ts";
import type { Handler } from "./routes.ts";

/** What the endpoint serves: the publication service's current file. */
export interface PublicationsSource {
  /** Undefined before the cluster's first publication reached this node. */
  readonly file: ServedFile | undefined;
}

/**
 * GET /v1/publications: the publications file (ETag, 304 for If-None-Match); `?view=json` lists the
 * publications. Without a source (the genesis names no publications authority) every request is a 404.
 */
export function publicationsHandler(source: PublicationsSource | undefined): Handler {
  if (source === undefined)
    return () =>
      Promise.reject(
        new HttpError("NO_PUBLICATIONS", "this cluster's genesis names no publications authority"),
      );
  return async (request, response, url) => {
    const file = source.file;
    if (file === undefined) throw new HttpError("NOT_PUBLISHED", "the cluster has not published yet");
    if (url.searchParams.get("view") === "json") return sendJson(response, 200, publicationsListing(file));
    const headers = { etag: file.etag, "cache-control": "no-cache" };
    if (request.headers["if-none-match"] === file.etag) {
      response.writeHead(304, headers);
      response.end();
      return;
    }
    response.writeHead(200, {
      ...headers,
      "content-type": "application/octet-stream",
      "content-length": file.bytes.length,
    });
    response.end(file.bytes);
  };
}

/** The JSON view of the file: what a person or a script reads to print publication codes. */
function publicationsListing(file: ServedFile): unknown {
  return {
    etag: file.etag,
    bytes: file.bytes.length,
    publications: file.records.map((record) => ({
      time: record.publishedData.publicationTime,
      root: toHex(record.publishedData.publishedHash),
      publicationString: encodePublicationString(record.publishedData),
    })),
  };
}
