#!/usr/bin/env node
// ts-sdk-gateway.mjs: the TypeScript MCP SDK client (@modelcontextprotocol/sdk
// 1.x) against mcpgate in gateway mode, with a real third-party MCP server
// behind it: @modelcontextprotocol/server-everything in streamable HTTP mode
// (MCPGATE_BACKEND_URL). Nobody here wrote either end.
//
//  1. connect: 401 → discovery → dynamic registration → browser (consent,
//     GitHub sign-in) → loopback callback → finishAuth → connect, all at
//     mcpgate; initialize is answered by server-everything (serverInfo).
//  2. tools/list is server-everything's (echo, get-sum, …), none of
//     mcpgate's built-in GitHub tools.
//  3. tools/call echo and get-sum are answered by server-everything.
//  4. streaming: trigger-long-running-operation with a progress token sends
//     notifications/progress on the response stream before its result.
//  5. --read-only (the grant holds mcp:read only): tools/list holds only
//     tools annotated readOnlyHint: true, and a call of one that is not
//     (toggle-simulated-logging) gets 403 insufficient_scope from mcpgate.
//
// Usage: node ts-sdk-gateway.mjs --server http://localhost:PORT [--out DIR] [--read-only]

import { join } from 'node:path';

import { fileLogger } from './browser.mjs';
import { callbackServer, check, parseChallenge, postMCP, run, scopeSet, scriptArgs } from './common.mjs';
import { connectMCP, MemoryOAuthProvider, recordingFetch } from './oauth-client.mjs';

// Tools of server-everything 2026.8.31 with readOnlyHint: true and false.
const READ_ONLY_TOOLS = ['echo', 'get-sum', 'get-tiny-image', 'trigger-long-running-operation'];
const WRITE_TOOLS = ['toggle-simulated-logging', 'toggle-subscriber-updates'];
// mcpgate's built-in tools, which must not show through the gateway.
const BUILT_IN_TOOLS = ['get_me', 'search_repositories', 'issue_read'];

await run('ts-sdk-gateway', async () => {
  const args = scriptArgs({ 'read-only': { type: 'boolean' } });
  const readOnly = Boolean(args['read-only']);
  const log = fileLogger(join(args.out, 'ts-sdk-gateway.log'));
  const mcpURL = new URL('/mcp', args.server);
  const callback = await callbackServer('/callback');
  const rec = recordingFetch();
  const provider = new MemoryOAuthProvider({
    redirectUrl: callback.url,
    clientName: 'mcpgate e2e (TypeScript SDK, gateway)',
    issuer: args.server,
    callback,
    log,
  });
  const steps = {};
  try {
    // 1. Sign-in at mcpgate, then the backend's initialize.
    const { client, transport, authorized } = await connectMCP({ mcpURL, provider, fetchFn: rec.fetch, name: 'mcpgate-e2e-ts-sdk-gateway', log });
    check(authorized, 'the first connection succeeded without authorization');
    const first401 = rec.entries.find((e) => e.path === '/mcp' && e.status === 401);
    check(first401?.wwwAuthenticate?.includes('resource_metadata='), `the first 401 lacks resource_metadata: ${first401?.wwwAuthenticate}`);
    const serverInfo = client.getServerVersion();
    const scope = scopeSet(provider.tokens()?.scope);
    steps.connect = { serverInfo, scope, registrations: provider.registrations.length };

    // 2. The backend's tools, filtered for the grant.
    const tools = (await client.listTools()).tools;
    const names = tools.map((t) => t.name);
    for (const name of BUILT_IN_TOOLS) {
      check(!names.includes(name), `tools/list holds mcpgate's built-in ${name}: ${names.join(', ')}`);
    }
    for (const name of READ_ONLY_TOOLS) {
      check(names.includes(name), `tools/list lacks server-everything's ${name}: ${names.join(', ')}`);
    }
    for (const name of WRITE_TOOLS) {
      check(names.includes(name) !== readOnly, `tools/list ${readOnly ? 'holds' : 'lacks'} ${name} (readOnlyHint: false) for scope ${scope.join(' ')}: ${names.join(', ')}`);
    }
    if (readOnly) {
      const notReadOnly = tools.filter((t) => t.annotations?.readOnlyHint !== true).map((t) => t.name);
      check(notReadOnly.length === 0, `a read-only grant sees tools not annotated readOnlyHint: true: ${notReadOnly.join(', ')}`);
    }
    steps.tools = names;

    // 3. Calls answered by server-everything.
    const message = `hello through mcpgate ${Date.now()}`;
    const echo = await client.callTool({ name: 'echo', arguments: { message } });
    const echoText = echo.content?.[0]?.text ?? '';
    check(!echo.isError && echoText === `Echo: ${message}`, `echo returned ${JSON.stringify(echo).slice(0, 300)}`);
    const sum = await client.callTool({ name: 'get-sum', arguments: { a: 19, b: 23 } });
    const sumText = sum.content?.[0]?.text ?? '';
    check(!sum.isError && sumText.includes('42'), `get-sum returned ${JSON.stringify(sum).slice(0, 300)}`);
    steps.calls = { echo: echoText, sum: sumText };

    // 4. Progress notifications stream through before the result.
    const progress = [];
    const long = await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    check(!long.isError && (long.content?.[0]?.text ?? '').startsWith('Long running operation completed'), `trigger-long-running-operation returned ${JSON.stringify(long).slice(0, 300)}`);
    check(progress.join(',') === '1,2,3', `progress notifications ${JSON.stringify(progress)}, want 1,2,3`);
    steps.progress = progress;

    // 5. A tool the read-only grant may not call: 403 from mcpgate itself.
    if (readOnly) {
      const refused = await postMCP(
        mcpURL,
        provider.tokens().access_token,
        { jsonrpc: '2.0', id: 'refused-1', method: 'tools/call', params: { name: 'toggle-simulated-logging', arguments: {} } },
        { 'mcp-session-id': transport.sessionId, 'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18' },
      );
      const challenge = parseChallenge(refused.headers.get('www-authenticate') ?? '');
      check(refused.status === 403 && challenge.params.error === 'insufficient_scope', `toggle-simulated-logging with scope ${scope.join(' ')} got ${refused.status} ${refused.headers.get('www-authenticate')}`);
      steps.refused = { status: refused.status, error: challenge.params.error, scope: challenge.params.scope };
    }
    await client.close();

    return {
      steps,
      credentialFingerprints: [...provider.fingerprints],
      requests: rec.entries.map((e) => `${e.method} ${e.path}${e.grantType ? `(${e.grantType})` : ''} ${e.status}${e.error ? ` ${e.error}` : ''}`),
    };
  } finally {
    await callback.close();
  }
});
