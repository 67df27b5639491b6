#!/usr/bin/env node
// bench-ts-server.mjs: the TypeScript MCP SDK's reference authorization
// server, as the peer that cmd/mcpgate-bench measures mcpgate against.
//
// It is the SDK's own pieces, put together the way its examples do:
// mcpAuthRouter (metadata, /register, /authorize, /token, /revoke) over a
// subclass of the demo in-memory provider (DemoInMemoryAuthProvider) that
// can refresh (the demo throws "Not implemented" there), requireBearerAuth
// in front of a stateless streamable HTTP endpoint at /mcp with one `echo`
// tool, a new McpServer and transport per request as in the SDK's
// simpleStatelessStreamableHttp example. Every rate limit is off, so that
// the benchmark measures the work and not the limiter.
//
// The refresh grant does what an OAuth 2.1 server must: the client is
// authenticated (the SDK's authenticateClient: client_id, and client_secret
// for confidential clients), the refresh token must belong to it, and it
// rotates: the old refresh token and the grant's access token are dropped
// and a new pair is issued. Everything is in memory (no store round trip),
// which is the point of the comparison: mcpgate does the same on Redis.
//
// The demo's /authorize approves at once (no login page), so a client gets
// a code with a plain GET and no browser.
//
// Usage: node bench-ts-server.mjs [--port N]   (prints "listening URL")

import { randomUUID } from 'node:crypto';

import express from 'express';
import * as z from 'zod/v4';

import { InvalidGrantError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { DemoInMemoryAuthProvider } from '@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

const ACCESS_TTL_MS = 3600 * 1000;

// RefreshingProvider is the demo provider with refresh tokens: the code
// exchange also issues one, and the refresh grant rotates it.
class RefreshingProvider extends DemoInMemoryAuthProvider {
  constructor() {
    super();
    // refresh token -> { clientId, scopes, resource, accessToken }
    this.refreshTokens = new Map();
  }

  issue(clientId, scopes, resource) {
    const access = randomUUID();
    const refresh = randomUUID();
    this.tokens.set(access, { token: access, clientId, scopes, expiresAt: Date.now() + ACCESS_TTL_MS, resource, type: 'access' });
    this.refreshTokens.set(refresh, { clientId, scopes, resource, accessToken: access });
    return {
      access_token: access,
      token_type: 'bearer',
      expires_in: ACCESS_TTL_MS / 1000,
      refresh_token: refresh,
      scope: scopes.join(' '),
    };
  }

  async exchangeAuthorizationCode(client, authorizationCode, codeVerifier) {
    const answer = await super.exchangeAuthorizationCode(client, authorizationCode, codeVerifier);
    // The demo stored an access token; replace it by a pair with a
    // refresh token, keeping its scopes and resource.
    const data = this.tokens.get(answer.access_token);
    this.tokens.delete(answer.access_token);
    return this.issue(client.client_id, data.scopes, data.resource);
  }

  async exchangeRefreshToken(client, refreshToken, scopes, resource) {
    const data = this.refreshTokens.get(refreshToken);
    if (!data || data.clientId !== client.client_id) {
      throw new InvalidGrantError('Invalid refresh token');
    }
    if (scopes && scopes.some((s) => !data.scopes.includes(s))) {
      throw new InvalidGrantError('Scope exceeds the grant');
    }
    // Rotation: the presented refresh token and its access token die.
    this.refreshTokens.delete(refreshToken);
    this.tokens.delete(data.accessToken);
    return this.issue(client.client_id, scopes ?? data.scopes, resource ?? data.resource);
  }
}

function newServer() {
  const server = new McpServer({ name: 'bench-ts-server', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes its input.', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

function portArg() {
  const i = process.argv.indexOf('--port');
  return i >= 0 ? Number(process.argv[i + 1]) : 0;
}

const provider = new RefreshingProvider();
const app = express();
const listener = app.listen(portArg(), '127.0.0.1', (error) => {
  if (error) {
    console.error('bench-ts-server:', error);
    process.exit(1);
  }
  const base = `http://127.0.0.1:${listener.address().port}`;
  const issuerUrl = new URL(base);
  const mcpUrl = new URL('/mcp', base);
  const off = { rateLimit: false };
  app.use(mcpAuthRouter({
    provider,
    issuerUrl,
    resourceServerUrl: mcpUrl,
    scopesSupported: ['mcp:tools'],
    authorizationOptions: off,
    tokenOptions: off,
    clientRegistrationOptions: off,
    revocationOptions: off,
  }));
  app.post('/mcp', requireBearerAuth({ verifier: provider }), express.json(), async (req, res) => {
    const server = newServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      transport.close();
      server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      console.error('bench-ts-server: /mcp:', err);
      if (!res.headersSent) {
        res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
      }
    }
  });
  console.log(`listening ${base}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => listener.close(() => process.exit(0)));
}
