// bearer-proxy.mjs: a loopback reverse proxy that adds
// "Authorization: Bearer <token>" to every request it forwards to one
// upstream origin. It lets a tool that cannot send headers of its own (the
// MCP conformance suite's server runner) talk to mcpgate with a token that
// a real OAuth client obtained.
//
// It forwards method, path, query, body and headers unchanged, except:
// Authorization is set (a request that brings its own keeps it), and a Host
// or Origin naming the proxy itself is rewritten to name the upstream, so
// that the upstream sees what it would see if the client talked to it
// directly. Any other Host or Origin (a test of DNS rebinding protection,
// say) is passed through as sent. Responses, including SSE streams, are
// piped back as they arrive.

import { createServer, request as httpRequest } from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * startBearerProxy listens on 127.0.0.1 and forwards to upstream (an
 * http:// origin). It resolves to { origin, requests, close }, where
 * requests counts the forwarded requests.
 */
export async function startBearerProxy({ upstream, token, log = () => {} }) {
  const target = new URL(upstream);
  if (target.protocol !== 'http:') throw new Error(`bearer proxy: upstream must be http://, got ${upstream}`);
  const stats = { requests: 0 };
  let ownHosts = [];
  let ownOrigins = [];
  const server = createServer((req, res) => {
    stats.requests++;
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(k)) headers[k] = v;
    }
    if (!headers.host || ownHosts.includes(headers.host.toLowerCase())) headers.host = target.host;
    if (headers.origin && ownOrigins.includes(headers.origin.toLowerCase())) headers.origin = target.origin;
    if (!headers.authorization) headers.authorization = `Bearer ${token}`;
    const up = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (upRes) => {
        const out = {};
        for (const [k, v] of Object.entries(upRes.headers)) {
          if (!HOP_BY_HOP.has(k)) out[k] = v;
        }
        log(`${req.method} ${req.url} -> ${upRes.statusCode}`);
        res.writeHead(upRes.statusCode, upRes.statusMessage, out);
        res.flushHeaders();
        upRes.pipe(res);
      },
    );
    up.on('error', (err) => {
      log(`${req.method} ${req.url} -> upstream error ${err.message}`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bearer proxy: upstream error: ${err.message}`);
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  ownHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  ownOrigins = ownHosts.map((h) => `http://${h}`);
  return {
    origin: `http://localhost:${port}`,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
