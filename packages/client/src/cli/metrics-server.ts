import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MonitorLog } from "../monitor/monitor.ts";
import { METRICS_CONTENT_TYPE } from "../monitor/prometheus-text.ts";
import type { CliIo } from "./io.ts";
import { UsageError } from "./usage-error.ts";

/** Serve `render()` at GET /metrics for Prometheus (tempel monitor, tempel watch). */
export function serveMetrics(render: () => string, host: string, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method === "GET" && request.url === "/metrics") {
      response.writeHead(200, { "content-type": METRICS_CONTENT_TYPE });
      response.end(render());
      return;
    }
    response.writeHead(404, { "content-type": "text/plain" });
    response.end("not found: metrics are served at /metrics\n");
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error) =>
      reject(new UsageError(`cannot serve metrics on ${host}:${port}: ${error.message}`)),
    );
    server.listen(port, host, () => resolve(server));
  });
}

export function metricsUrl(server: Server, host: string): string {
  return `http://${host}:${(server.address() as AddressInfo).port}/metrics`;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** One JSON line per event on stderr, so that log collectors and people can read the alerts. */
export function jsonLog(io: CliIo): MonitorLog {
  return (level, message, fields) =>
    io.err(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
}
