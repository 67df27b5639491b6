#!/usr/bin/env node
// ts-sdk-stepup.mjs: step-up authorization with the TypeScript MCP SDK
// against an mcpgate whose clients start read-only (scopes.default:
// [mcp:read]). --sdk v1 (default) uses the v1 line most clients use
// (@modelcontextprotocol/sdk 1.x); --sdk v2 the v2 client package
// (@modelcontextprotocol/client 2.x).
//
//  1. connect: the 401's scope is mcp:read, the SDK asks for exactly that,
//     the browser approves (consent page, GitHub sign-in), the token's
//     scope is mcp:read; get_me works.
//  2. create_issue (a write tool) is refused with HTTP 403 and
//     WWW-Authenticate: Bearer error="insufficient_scope",
//     scope="mcp:read mcp:write", resource_metadata="…" (MCP authorization,
//     "Step-Up Authorization Flow").
//  3. step-up: the SDK's StreamableHTTPClientTransport reacts to that 403
//     by calling auth() with the challenge's scope. When auth() sends the
//     user to the browser, the script completes that flow (finishAuth) and
//     retries, as for any UnauthorizedError (the v2 client does this: it
//     skips the refresh when the scope must grow). When the SDK gives up
//     instead (SDK 1.32 first tries the stored refresh token, which cannot
//     widen a grant — RFC 6749 §6 — and then stops at the second identical
//     403: typescript-sdk issue #2255), the script steps up explicitly: it
//     drops the stored tokens, calls auth() with the challenge's scope and
//     resource_metadata, completes the browser flow and retries. Which of
//     the two happened is reported (sdkAutomaticStepUp).
//     Either way the same browser (same cookie jar) is shown mcpgate's
//     consent page again, because the scopes grew, and approves again.
//  4. The retried create_issue succeeds and creates the issue as mona;
//     add_issue_comment on it works with the same token (no further
//     step-up), and get_me still works.
//  5. The read-only grant's last refresh token is tried once more at
//     /token, and the answer reported (readOnlyGrantAfterStepUp).
//
// Usage: node ts-sdk-stepup.mjs --server http://localhost:PORT [--sdk v1|v2]
//        [--out DIR]

import { join } from 'node:path';

import { fileLogger } from './browser.mjs';
import { callbackServer, check, getMeLogin, parseChallenge, run, scopeSet, scriptArgs, toolResult } from './common.mjs';
import { connectMCP, fingerprint, loadSDK, MemoryOAuthProvider, recordingFetch } from './oauth-client.mjs';

const READ = 'mcp:read';
const WRITE = 'mcp:write';

await run('ts-sdk-stepup', async () => {
  const args = scriptArgs({ sdk: { type: 'string', default: 'v1' } });
  const sdk = await loadSDK(args.sdk);
  const log = fileLogger(join(args.out, `ts-sdk-stepup-${sdk.line}.log`));
  const mcpURL = new URL('/mcp', args.server);
  const callback = await callbackServer('/callback');
  const rec = recordingFetch();
  const provider = new MemoryOAuthProvider({
    redirectUrl: callback.url,
    clientName: `mcpgate e2e (step-up, SDK ${sdk.line})`,
    issuer: args.server,
    callback,
    log,
  });
  const title = `Step-up test issue ${new Date().toISOString()}`;
  const createIssue = () => client.callTool({ name: 'create_issue', arguments: { owner: 'mona', repo: 'hello-world', title } });
  let client;
  let transport;

  try {
    // 1. Read-only sign-in.
    ({ client, transport } = await connectMCP({ mcpURL, provider, fetchFn: rec.fetch, name: 'mcpgate-e2e-stepup', log, sdk }));
    const first401 = rec.entries.find((e) => e.path === '/mcp' && e.status === 401);
    const challenge401 = parseChallenge(first401?.wwwAuthenticate);
    const initialScope = provider.tokens()?.scope;
    check(provider.authorizations === 1, `expected one authorization, got ${provider.authorizations}`);
    check(scopeSet(initialScope).join(' ') === READ, `the first token has scope ${JSON.stringify(initialScope)}, want ${READ} (the server's default; the SDK asked for ${provider.requestedScopes[0]})`);
    const login = getMeLogin(await client.callTool({ name: 'get_me', arguments: {} }));
    check(login === 'mona', `get_me returned login ${login}, want mona`);

    // 2. A write tool with the read-only token.
    const mark = rec.entries.length;
    const refreshesBefore = rec.entries.filter((e) => e.grantType === 'refresh_token').length;
    let result;
    let sdkError;
    try {
      result = await createIssue();
    } catch (err) {
      sdkError = err;
    }
    const forbidden = rec.entries.slice(mark).find((e) => e.path === '/mcp' && e.status === 403);
    check(forbidden, `create_issue with a read-only token was not refused with 403 (result: ${JSON.stringify(result ?? sdkError?.message).slice(0, 300)})`);
    const challenge403 = parseChallenge(forbidden.wwwAuthenticate);
    check(challenge403.scheme.toLowerCase() === 'bearer', `the 403 challenge is ${JSON.stringify(forbidden.wwwAuthenticate)}`);
    check(challenge403.params.error === 'insufficient_scope', `the 403 error is ${JSON.stringify(challenge403.params.error)}, want insufficient_scope`);
    check(scopeSet(challenge403.params.scope).join(' ') === [READ, WRITE].sort().join(' '), `the 403 asks for scope ${JSON.stringify(challenge403.params.scope)}, want "${READ} ${WRITE}"`);
    check(challenge403.params.resource_metadata, 'the 403 challenge has no resource_metadata');
    const sdkRefreshed = rec.entries.filter((e) => e.grantType === 'refresh_token').length > refreshesBefore;
    // The newest refresh token of the read-only grant, for a look at that
    // grant after the step-up.
    const readOnlyRefresh = provider.tokens()?.refresh_token;

    // 3. Step-up, by the SDK or explicitly.
    let sdkAutomaticStepUp;
    let sdkOutcome;
    if (result !== undefined) {
      // The SDK retried and succeeded without the browser: only possible
      // if a refresh widened the grant, which it must not.
      check(false, `create_issue succeeded after the 403 without a new authorization (authorizations: ${provider.authorizations}, refreshed: ${sdkRefreshed})`);
    } else if (sdkError instanceof sdk.UnauthorizedError) {
      sdkAutomaticStepUp = true;
      sdkOutcome = 'the SDK called auth() with the challenge scope and sent the user to the browser';
      await sdk.finish(transport, await provider.waitForCallback());
    } else {
      sdkAutomaticStepUp = false;
      sdkOutcome = `the SDK gave up: ${sdkError?.message ?? sdkError}`;
      log(`step-up: ${sdkOutcome}; stepping up explicitly`);
      provider.invalidateCredentials('tokens');
      const outcome = await sdk.auth(provider, {
        serverUrl: mcpURL,
        scope: challenge403.params.scope,
        resourceMetadataUrl: new URL(challenge403.params.resource_metadata),
        fetchFn: rec.fetch,
      });
      check(outcome === 'REDIRECT', `auth() with scope ${challenge403.params.scope} and no tokens returned ${outcome}, want REDIRECT`);
      await sdk.finish(transport, await provider.waitForCallback());
    }
    check(provider.authorizations === 2, `expected a second authorization for the step-up, got ${provider.authorizations} in all`);
    const stepUpScope = provider.requestedScopes[1];
    check(scopeSet(stepUpScope).includes(WRITE), `the step-up authorization asked for scope ${JSON.stringify(stepUpScope)}, which lacks ${WRITE}`);
    const flow = provider.flows[1];
    const consent = flow.forms.find((f) => f.kind === 'approve' && f.page.startsWith(`${args.server}/authorize`));
    check(consent, `the step-up did not show mcpgate's consent page again (pages: ${flow.forms.map((f) => f.title).join(', ')})`);
    const grantedScope = provider.tokens()?.scope;
    check(scopeSet(grantedScope).includes(WRITE), `the token after the step-up has scope ${JSON.stringify(grantedScope)}, which lacks ${WRITE}`);

    // 4. The write succeeds now.
    const issue = toolResult('create_issue', await createIssue());
    check(issue.title === title, `create_issue created ${JSON.stringify(issue.title)}, want ${JSON.stringify(title)}`);
    check(issue.user === 'mona', `the issue's author is ${issue.user}, want mona`);
    check(Number.isInteger(issue.number) && issue.number > 0, `the issue number is ${issue.number}`);
    const comment = toolResult(
      'add_issue_comment',
      await client.callTool({ name: 'add_issue_comment', arguments: { owner: 'mona', repo: 'hello-world', issue_number: issue.number, body: 'Written after a step-up.' } }),
    );
    check(comment.user === 'mona', `the comment's author is ${comment.user}, want mona`);
    check(provider.authorizations === 2, 'the comment needed yet another authorization');
    const login2 = getMeLogin(await client.callTool({ name: 'get_me', arguments: {} }));
    check(login2 === 'mona', `get_me after the step-up returned ${login2}`);
    await client.close();

    // 5. What became of the read-only grant: the step-up made a new grant;
    //    does the old one's refresh token still work? (Reported, not judged.)
    const staleRes = await rec.fetch(new URL('/token', args.server), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: readOnlyRefresh,
        client_id: provider.clientInformation().client_id,
        resource: mcpURL.href,
      }).toString(),
    });
    const stale = await staleRes.json();
    for (const t of [stale.access_token, stale.refresh_token]) if (t) provider.fingerprints.add(fingerprint(t));

    return {
      sdk: { line: sdk.line, package: sdk.pkg, version: sdk.version },
      challenge401Scope: challenge401.params.scope,
      initialScope,
      requestedScopes: provider.requestedScopes,
      forbidden: { status: forbidden.status, challenge: challenge403.params },
      sdkRefreshed,
      sdkAutomaticStepUp,
      sdkOutcome,
      stepUpConsent: { title: consent.title, button: consent.button },
      grantedScope,
      issue: { number: issue.number, title: issue.title, user: issue.user },
      readOnlyGrantAfterStepUp: { status: staleRes.status, scope: stale.scope, error: stale.error },
      comment: { id: comment.id, user: comment.user },
      credentialFingerprints: [...provider.fingerprints],
      requests: rec.entries.map((e) => `${e.method} ${e.path}${e.grantType ? `(${e.grantType})` : ''} ${e.status}${e.error ? ` ${e.error}` : ''}`),
    };
  } finally {
    await callback.close();
  }
});
