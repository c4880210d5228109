import http from "node:http";

/** Serves Prometheus text at `/metrics` on 127.0.0.1:`port` (0 = a free port). */
export async function serveMetrics(
  port: number,
  render: () => string,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/metrics" || req.url === "/") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(render());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
