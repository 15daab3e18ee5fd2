import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Real HTTP servers on 127.0.0.1 that stand for broken nodes, or serve files, in e2e tests. */

export interface TestServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serve(listener: RequestListener): Promise<TestServer> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL where nothing listens: its port was just bound and released, so connecting is refused. */
export async function deadEndpoint(): Promise<string> {
  const server = await serve(() => undefined);
  await server.close();
  return server.url;
}

/** A server that answers every request with 200 and bytes that look like a KSI response but are not. */
export function garbageNode(): Promise<TestServer> {
  return serve((request, response) => {
    request.resume();
    response.writeHead(200, { "content-type": "application/ksi-response" });
    response.end(Buffer.from([0x82, 0x21, 0x00, 0x05, 1, 2, 3, 4, 5]));
  });
}
