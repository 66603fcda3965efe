/**
 * A round-robin HTTP proxy on loopback, standing in for the load balancer in front of several Kith
 * processes (tests and bench/scale.ts; docs/deploy.md). Each request goes to the next backend in
 * turn; a backend that refuses the connection (a killed process) is skipped and the request tried
 * on the next one, as nginx's `proxy_next_upstream error` does. Request bodies are read first (so
 * they can be sent again); responses are piped as they come, so the SSE sync stream and the MCP
 * stream pass through unbuffered. The Host header is passed on as the client sent it (nginx:
 * `proxy_set_header Host $host`), so the servers' public URLs are the proxy's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  url: string;
  /** Requests answered per backend (by the backend's URL). */
  served: Map<string, number>;
  close(): Promise<void>;
}

export async function startProxy(backends: string[]): Promise<RoundRobinProxy> {
  const targets = backends.map((b) => new URL(b));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const served = new Map<string, number>(backends.map((b) => [b, 0]));
  let next = 0;

  /** Sends the request to backend `index`; on a refused connection, to the one after it. */
  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, index: number, tries: number) => {
    const target = targets[index];
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      served.set(backends[index], (served.get(backends[index]) ?? 0) + 1);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.flushHeaders();
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      // nothing reached a backend that refused the connection: the next one may take it
      if (error.code === 'ECONNREFUSED' && tries + 1 < targets.length) return forward(req, res, body, (index + 1) % targets.length, tries + 1);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${error.message}`);
      } else res.destroy();
    });
    // the client going away ends the upstream request (and the backend's stream)
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => forward(req, res, Buffer.concat(chunks), next++ % targets.length, 0));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
