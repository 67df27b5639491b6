#!/usr/bin/env node
// ts-sdk-oidc.mjs: the TypeScript MCP SDK client signing in to mcpgate
// through an independent OpenID Provider (oidc-op.mjs, built on
// oidc-provider) instead of GitHub.
//
//  1. connect: 401 → discovery → registration → browser. On mcpgate's
//     consent page the browser chooses the identity provider --provider
//     (default "oidc") among the buttons offered, then fills in the
//     OpenID Provider's sign-in form (--op-login and the password from
//     E2E_OP_PASSWORD) and its consent form, and comes back through
//     mcpgate's /oauth/callback/oidc to the client's loopback callback;
//     finishAuth; connect.
//  2. tools/list and tools/call whoami: the identity is the OpenID
//     Provider's account. get_me (a GitHub tool) is called too, and its
//     answer reported: without a GitHub sign-in it must be a tool error.
//  3. refresh: auth() with mcpgate's refresh token returns a new access
//     token and a rotated refresh token, and whoami still answers.
//
// The script reports what it saw; the Go test (TestOIDCFederation) judges
// the identity and the OpenID Provider's own log.
//
// Usage: E2E_OP_PASSWORD=… node ts-sdk-oidc.mjs --server http://localhost:PORT
//        --op-login LOGIN [--provider NAME] [--out DIR]

import { join } from 'node:path';

import { auth } from '@modelcontextprotocol/sdk/client/auth.js';

import { fileLogger } from './browser.mjs';
import { callbackServer, check, run, scriptArgs, toolResult } from './common.mjs';
import { connectMCP, MemoryOAuthProvider, recordingFetch } from './oauth-client.mjs';

await run('ts-sdk-oidc', async () => {
  const args = scriptArgs({ 'op-login': { type: 'string' }, provider: { type: 'string', default: 'oidc' } });
  check(args['op-login'], '--op-login is required');
  const opPassword = process.env.E2E_OP_PASSWORD;
  check(opPassword, 'E2E_OP_PASSWORD must hold the OpenID Provider password');
  const log = fileLogger(join(args.out, 'ts-sdk-oidc.log'));
  const mcpURL = new URL('/mcp', args.server);
  const callback = await callbackServer('/callback');
  const rec = recordingFetch();
  const provider = new MemoryOAuthProvider({
    redirectUrl: callback.url,
    clientName: 'mcpgate e2e (OpenID Connect)',
    issuer: args.server,
    callback,
    log,
    browser: { provider: args.provider, opLogin: args['op-login'], opPassword },
  });

  try {
    // 1. Sign-in through the OpenID Provider.
    const { client, authorized } = await connectMCP({ mcpURL, provider, fetchFn: rec.fetch, name: 'mcpgate-e2e-oidc', log });
    check(authorized, 'the first connection succeeded without authorization');
    const flow = provider.flows[0];
    const consent = flow.forms.find((f) => f.kind === 'approve' && f.page.startsWith(`${args.server}/authorize`));
    check(consent, `the browser never saw mcpgate's consent page (pages: ${flow.forms.map((f) => f.title).join(', ')})`);
    const opLogin = flow.forms.find((f) => f.kind === 'op-login');
    const opConsent = flow.forms.find((f) => f.kind === 'op-consent');
    check(opLogin, `the browser never saw the OpenID Provider's sign-in form (pages: ${flow.forms.map((f) => f.title).join(', ')})`);

    // 2. Tools as the OpenID Provider's user.
    const tools = (await client.listTools()).tools.map((t) => t.name);
    check(tools.includes('whoami'), `tools/list lacks whoami (got ${tools.join(', ')})`);
    const whoami = toolResult('whoami', await client.callTool({ name: 'whoami', arguments: {} }));
    const getMe = await client.callTool({ name: 'get_me', arguments: {} });
    const getMeText = (getMe.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');

    // 3. mcpgate's own refresh for an OpenID Connect grant.
    const before = provider.tokens();
    check(before.refresh_token, 'the token response carried no refresh_token');
    const outcome = await auth(provider, { serverUrl: mcpURL, fetchFn: rec.fetch });
    check(outcome === 'AUTHORIZED', `auth() with a refresh token returned ${outcome}`);
    const after = provider.tokens();
    check(provider.authorizations === 1, 'refreshing sent the user to the browser');
    const whoami2 = toolResult('whoami', await client.callTool({ name: 'whoami', arguments: {} }));
    await client.close();

    return {
      consent: { title: consent.title, button: consent.button, choices: consent.choices },
      opPages: flow.forms.filter((f) => f.kind.startsWith('op-')).map((f) => ({ kind: f.kind, title: f.title, button: f.button })),
      opConsentShown: Boolean(opConsent),
      browserHops: flow.hops,
      tools,
      whoami,
      getMe: { isError: Boolean(getMe.isError), text: getMeText.slice(0, 500) },
      refresh: {
        rotated: Boolean(after.refresh_token) && after.refresh_token !== before.refresh_token,
        newAccessToken: after.access_token !== before.access_token,
        subjectAfter: whoami2.subject,
      },
      credentialFingerprints: [...provider.fingerprints],
      requests: rec.entries.map((e) => `${e.method} ${e.path}${e.grantType ? `(${e.grantType})` : ''} ${e.status}${e.error ? ` ${e.error}` : ''}`),
    };
  } finally {
    await callback.close();
  }
});
