#!/usr/bin/env node
// ts-sdk.mjs: the TypeScript MCP SDK client (@modelcontextprotocol/sdk 1.x)
// against mcpgate, through its own OAuth machinery:
//
//  1. connect: 401 → discovery → dynamic registration → browser (consent,
//     demo GitHub sign-in) → loopback callback → finishAuth → connect;
//     tools/list holds the GitHub tools; tools/call get_me says "mona";
//     resources/read of a repo:// file, prompts/get summarize_issue and
//     issue_read (GitHub's current name) work.
//  2. refresh on demand: the SDK's auth() with the stored refresh token
//     returns a new access token and a rotated refresh token, without the
//     browser; get_me works with the new token.
//  3. refresh on 401: the stored access token is replaced by one the server
//     never issued; the next call gets 401, the SDK refreshes by itself and
//     the call succeeds.
//  4. forgotten client: the stored client_id is replaced by one the server
//     does not know (as after an operator deleted the client); the refresh
//     gets 401 invalid_client at /token, the SDK drops its credentials,
//     registers again, sends the user through the browser again, and
//     get_me works on the new registration.
//
// Usage: node ts-sdk.mjs --server http://localhost:PORT [--out DIR]

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { auth } from '@modelcontextprotocol/sdk/client/auth.js';

import { fileLogger } from './browser.mjs';
import { callbackServer, check, checkToolList, getMeLogin, run, scriptArgs } from './common.mjs';
import { connectMCP, fingerprint, MemoryOAuthProvider, recordingFetch, withReauthorization } from './oauth-client.mjs';

await run('ts-sdk', async () => {
  const args = scriptArgs();
  const log = fileLogger(join(args.out, 'ts-sdk.log'));
  const mcpURL = new URL('/mcp', args.server);
  const callback = await callbackServer('/callback');
  const rec = recordingFetch();
  const provider = new MemoryOAuthProvider({
    redirectUrl: callback.url,
    clientName: 'mcpgate e2e (TypeScript SDK)',
    issuer: args.server,
    callback,
    log,
  });
  const steps = {};
  const lastMCPBearer = () => rec.entries.filter((e) => e.path === '/mcp' && e.bearer).at(-1)?.bearer;
  const tokenCalls = (grantType) => rec.entries.filter((e) => e.path === '/token' && e.grantType === grantType);

  try {
    // 1. First connection with the full authorization flow.
    let { client, transport, authorized } = await connectMCP({ mcpURL, provider, fetchFn: rec.fetch, name: 'mcpgate-e2e-ts-sdk', log });
    check(authorized, 'the first connection succeeded without authorization');
    check(provider.registrations.length === 1, `expected one registration, got ${provider.registrations.length}`);
    const first401 = rec.entries.find((e) => e.path === '/mcp' && e.status === 401);
    check(first401?.wwwAuthenticate?.includes('resource_metadata='), `the first 401 lacks resource_metadata: ${first401?.wwwAuthenticate}`);
    const tools = checkToolList((await client.listTools()).tools);
    const login = getMeLogin(await client.callTool({ name: 'get_me', arguments: {} }));
    check(login === 'mona', `get_me returned login ${login}, want mona`);
    steps.connect = { tools: tools.length, login, clientID: provider.registrations[0] };

    // 1b. What Claude's attachment menu and GitHub-style prompts use: a
    //     repo:// resource, a prompt, and a tool under GitHub's current name.
    const readme = await client.readResource({ uri: 'repo://mona/hello-world/contents/README.md' });
    const readmeText = readme.contents?.[0]?.text ?? '';
    check(readmeText.startsWith('# hello-world'), `resources/read of README.md returned ${JSON.stringify(readme).slice(0, 300)}`);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    check(prompts.includes('summarize_issue'), `prompts/list lacks summarize_issue: ${prompts.join(', ')}`);
    const prompt = await client.getPrompt({ name: 'summarize_issue', arguments: { owner: 'mona', repo: 'hello-world', issue_number: '1' } });
    const promptText = prompt.messages?.[0]?.content?.text ?? '';
    check(promptText.includes('issue #1 in mona/hello-world'), `prompts/get summarize_issue returned ${JSON.stringify(prompt).slice(0, 300)}`);
    const issue = await client.callTool({ name: 'issue_read', arguments: { method: 'get', owner: 'mona', repo: 'hello-world', issue_number: 1 } });
    check(!issue.isError && issue.structuredContent?.issue?.number === 1, `issue_read get returned ${JSON.stringify(issue).slice(0, 300)}`);
    steps.resources = { readme: readme.contents?.[0], prompts, prompt, issueTitle: issue.structuredContent.issue.title };

    // 2. Refresh on demand with the SDK's auth().
    const before = provider.tokens();
    check(before.refresh_token, 'the token response carried no refresh_token');
    check(Number(before.expires_in) > 0, `the token response carried expires_in ${before.expires_in}`);
    const authorizationsBefore = provider.authorizations;
    const outcome = await auth(provider, { serverUrl: mcpURL, fetchFn: rec.fetch });
    check(outcome === 'AUTHORIZED', `auth() with a refresh token returned ${outcome}`);
    const refreshed = provider.tokens();
    check(provider.authorizations === authorizationsBefore, 'refreshing sent the user to the browser');
    check(refreshed.access_token !== before.access_token, 'the refresh returned the same access token');
    check(refreshed.refresh_token && refreshed.refresh_token !== before.refresh_token, 'the refresh token was not rotated');
    check(tokenCalls('refresh_token').at(-1)?.status === 200, 'no successful refresh_token grant was recorded');
    const login2 = getMeLogin(await client.callTool({ name: 'get_me', arguments: {} }));
    check(login2 === 'mona', `get_me after refresh returned ${login2}`);
    check(lastMCPBearer() === fingerprint(refreshed.access_token), 'the call after the refresh did not use the new access token');
    steps.refreshOnDemand = { rotated: true };

    // 3. Refresh triggered by a 401 on /mcp.
    const refreshesBefore = tokenCalls('refresh_token').length;
    provider.replaceAccessToken(`mcp_at_${randomBytes(32).toString('base64url')}`);
    const login3 = getMeLogin(await client.callTool({ name: 'get_me', arguments: {} }));
    check(login3 === 'mona', `get_me after a 401 returned ${login3}`);
    const refreshes = tokenCalls('refresh_token');
    check(refreshes.length === refreshesBefore + 1 && refreshes.at(-1).status === 200, 'the 401 did not lead to one successful refresh');
    check(provider.authorizations === authorizationsBefore, 'the 401 sent the user to the browser although a refresh token was held');
    check(lastMCPBearer() === fingerprint(provider.tokens().access_token), 'the retried call did not use the refreshed token');
    steps.refreshOn401 = { refreshGrants: refreshes.length };

    // 4. The server no longer knows the client: 401 invalid_client at
    //    /token, then re-registration and a new authorization.
    const forgotten = `forgotten-${randomBytes(12).toString('hex')}`;
    provider.replaceClientID(forgotten);
    provider.replaceAccessToken(`mcp_at_${randomBytes(32).toString('base64url')}`);
    const call = await withReauthorization(() => client.callTool({ name: 'get_me', arguments: {} }), { provider, transport });
    check(call.reauthorized, 'a call with an unknown client and an unknown token succeeded');
    const rejected = tokenCalls('refresh_token').at(-1);
    check(rejected.status === 401 && rejected.error === 'invalid_client', `the refresh with an unknown client_id got ${rejected.status} ${rejected.error}, want 401 invalid_client`);
    check(provider.invalidations.includes('all'), `the SDK did not drop its credentials (invalidations: ${provider.invalidations.join(', ')})`);
    check(provider.registrations.length === 2 && provider.registrations[1] !== forgotten, `expected a second registration, got ${provider.registrations.length}`);
    await client.close();
    ({ client, transport } = await connectMCP({ mcpURL, provider, fetchFn: rec.fetch, name: 'mcpgate-e2e-ts-sdk', log }));
    const login4 = getMeLogin(await client.callTool({ name: 'get_me', arguments: {} }));
    check(login4 === 'mona', `get_me after re-registration returned ${login4}`);
    await client.close();
    steps.reregister = { clientIDChanged: provider.registrations[1] !== provider.registrations[0], authorizations: provider.authorizations };

    return {
      steps,
      credentialFingerprints: [...provider.fingerprints],
      requests: rec.entries.map((e) => `${e.method} ${e.path}${e.grantType ? `(${e.grantType})` : ''} ${e.status}${e.error ? ` ${e.error}` : ''}`),
    };
  } finally {
    await callback.close();
  }
});
