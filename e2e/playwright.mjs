#!/usr/bin/env node
// playwright.mjs: a person in a real browser (Debian's Chromium, headless,
// driven by playwright-core) going through mcpgate's consent page.
//
//  1. Registers a client "Playwright E2E" (POST /register) whose redirect
//     URI is a loopback listener of this script, and opens /authorize with
//     PKCE S256, state, scope and resource.
//  2. The consent page must name the client, show the redirect host
//     (127.0.0.1:<port>) and the scopes; a screenshot goes to
//     <out>/consent.png.
//  3. Clicks Approve, then Authorize on the demo GitHub's sign-in page, and
//     must reach the callback with a code, the same state and iss. The code
//     is exchanged at /token with the verifier, and get_me with the new
//     token says "mona".
//     The same browser then authorizes again and must go straight to the
//     sign-in page: the approval is remembered for this client.
//  4. Framing: a page on another origin that puts /authorize in an iframe
//     must not show the consent page inside it (X-Frame-Options DENY and
//     CSP frame-ancestors 'none'); screenshot <out>/framed.png.
//
// Usage: node playwright.mjs --server http://localhost:PORT [--out DIR]
//        [--chromium /usr/bin/chromium]

import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { fileLogger } from './browser.mjs';
import { callbackServer, check, CheckError, getMeLogin, packageBin, postMCP, run, scriptArgs, withTimeout } from './common.mjs';
import { fingerprint } from './oauth-client.mjs';

const CLIENT_NAME = 'Playwright E2E';
const SCOPES = ['mcp:read', 'mcp:write'];
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

async function register(server, redirectURI) {
  const res = await fetch(`${server}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: CLIENT_NAME,
      redirect_uris: [redirectURI],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  const body = await res.json();
  check(res.status === 201 && body.client_id, `POST /register answered ${res.status}: ${JSON.stringify(body)}`);
  return body.client_id;
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeURL(server, { clientID, redirectURI, challenge, state }) {
  const u = new URL('/authorize', server);
  u.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientID,
    redirect_uri: redirectURI,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    scope: SCOPES.join(' '),
    resource: `${server}/mcp`,
  }).toString();
  return u.href;
}

/** CONTROL_TEXT is what the control frame shows (see framingPage). */
const CONTROL_TEXT = 'A page that lets itself be framed';

/**
 * framingPage serves one page on 127.0.0.1 that puts src in an iframe, and
 * next to it a control iframe from another origin (another port) that
 * allows framing. The control proves that the way the test reads a
 * cross-origin frame's text works: without it, a frame the test failed to
 * read would look the same as a frame the browser refused to render.
 */
async function framingPage(src) {
  const listen = async (handler) => {
    const srv = createServer(handler);
    await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return srv;
  };
  const control = await listen((req, res) =>
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>Control</title><p>${CONTROL_TEXT}</p>`),
  );
  const html = `<!doctype html><title>Framing test</title><h1>A site that frames the consent page</h1>
<iframe id="victim" src="${src.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}" width="800" height="600"></iframe>
<iframe id="control" src="http://127.0.0.1:${control.address().port}/" width="800" height="80"></iframe>`;
  const srv = await listen((req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  const close = (s) => new Promise((r) => s.close(() => r()));
  return { url: `http://127.0.0.1:${srv.address().port}/`, close: () => Promise.all([close(srv), close(control)]) };
}

/**
 * frameText returns the text of a frame's body, or throws a CheckError
 * naming the frame: a frame the test cannot read proves nothing.
 */
async function frameText(frame, which) {
  try {
    return await frame.locator('body').innerText({ timeout: 5000 });
  } catch (err) {
    throw new CheckError(`the ${which} frame (${frame.url()}) could not be read (${err.message.split('\n')[0]}), so the test cannot tell what it showed`);
  }
}

await run('playwright', async () => {
  const args = scriptArgs({ chromium: { type: 'string', default: '/usr/bin/chromium' } });
  /** Fingerprints of the code and tokens received (they must not be in mcpgate's log). */
  const credentials = [];
  check(existsSync(args.chromium), `no Chromium at ${args.chromium} (apt-get install chromium)`);
  const log = fileLogger(join(args.out, 'playwright.log'));
  const { version } = packageBin('playwright-core', 'playwright-core');
  const callback = await callbackServer('/cb');
  const browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: CHROMIUM_ARGS });
  try {
    // 1. Registration and the authorization request.
    const clientID = await register(args.server, callback.url);
    const { verifier, challenge } = pkce();
    const state = randomBytes(16).toString('base64url');
    const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
    const page = await context.newPage();
    page.on('response', (r) => log(`${r.request().method()} ${new URL(r.url()).origin}${new URL(r.url()).pathname} -> ${r.status()}`));
    // A navigation that fails (a CSP violation, a refused connection) ends
    // the flow: report it with what the browser console said, instead of
    // waiting for a callback that will never come.
    const consoleErrors = [];
    page.on('console', (m) => {
      log(`console ${m.type()}: ${m.text()}`);
      if (m.type() === 'error' && !m.text().includes('404 (Not Found)')) consoleErrors.push(m.text());
    });
    const navigationFailed = new Promise((_, reject) => {
      page.on('requestfailed', async (r) => {
        const what = `${r.method()} ${new URL(r.url()).origin}${new URL(r.url()).pathname}`;
        log(`${what} failed: ${r.failure()?.errorText}`);
        if (!r.isNavigationRequest()) return;
        // Chromium logs the reason (a CSP violation, say) just after the
        // failure; give it a moment so that the report can quote it.
        if (consoleErrors.length === 0) {
          await page.waitForEvent('console', { predicate: (m) => m.type() === 'error', timeout: 2000 }).catch(() => {});
        }
        reject(new CheckError(`the browser's navigation ${what} failed (${r.failure()?.errorText}); console: ${consoleErrors.join(' | ') || 'nothing'}`));
      });
    });
    navigationFailed.catch(() => {});
    const consent = await page.goto(authorizeURL(args.server, { clientID, redirectURI: callback.url, challenge, state }));
    check(consent.status() === 200, `GET /authorize answered ${consent.status()}`);

    // 2. What the consent page shows.
    const text = await page.locator('body').innerText();
    const redirectHost = new URL(callback.url).host;
    check(text.includes(CLIENT_NAME), `the consent page does not name the client "${CLIENT_NAME}"`);
    check(text.includes(redirectHost), `the consent page does not show the redirect host ${redirectHost}`);
    for (const s of SCOPES) check(text.includes(s), `the consent page does not show the scope ${s}`);
    const headers = consent.headers();
    await page.screenshot({ path: join(args.out, 'consent.png'), fullPage: true });

    // 3. Approve, sign in at the demo GitHub, reach the callback.
    await page.getByRole('button', { name: /^Approve/ }).click();
    await Promise.race([page.waitForURL((u) => u.pathname === '/login/oauth/authorize'), navigationFailed]);
    await page.screenshot({ path: join(args.out, 'github-sign-in.png'), fullPage: true });
    await page.getByRole('button', { name: 'Authorize' }).click();
    const params = await withTimeout(Promise.race([callback.next(), navigationFailed]), 30000, 'OAuth callback');
    await page.waitForURL((u) => u.href.startsWith(callback.url));
    check(params.code, 'the callback carried no code');
    check(params.state === state, 'the callback state differs from the one sent');
    check(params.iss === args.server, `the callback iss is ${params.iss}, want ${args.server}`);
    const tokenRes = await fetch(`${args.server}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.code,
        redirect_uri: callback.url,
        client_id: clientID,
        code_verifier: verifier,
        resource: `${args.server}/mcp`,
      }),
    });
    const tokens = await tokenRes.json();
    check(tokenRes.status === 200 && tokens.access_token, `POST /token answered ${tokenRes.status}: ${tokens.error ?? ''} ${tokens.error_description ?? ''}`);
    credentials.push(...[params.code, tokens.access_token, tokens.refresh_token].filter(Boolean).map(fingerprint));
    const call = await postMCP(`${args.server}/mcp`, tokens.access_token, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'get_me', arguments: {} },
    });
    check(call.status === 200 && call.message?.result, `tools/call get_me answered ${call.status}: ${call.text.slice(0, 300)}`);
    const login = getMeLogin(call.message.result);
    check(login === 'mona', `get_me returned ${login}, want mona`);

    // 3b. This browser remembers the approval for this client and redirect
    //     URI: a second authorization goes straight to the sign-in page.
    const again = pkce();
    await page.goto(authorizeURL(args.server, { clientID, redirectURI: callback.url, challenge: again.challenge, state: randomBytes(16).toString('base64url') }));
    const landed = new URL(page.url());
    check(
      landed.pathname === '/login/oauth/authorize' && landed.origin !== args.server,
      `a second authorization in the same browser ended at ${landed.origin}${landed.pathname}, not at the demo GitHub's sign-in (consent not remembered)`,
    );
    await context.close();

    // 4. The consent page refuses to be framed. A fresh context: no
    //    remembered consent, so /authorize would show the consent page.
    const framer = await framingPage(authorizeURL(args.server, { clientID, redirectURI: callback.url, challenge, state: randomBytes(16).toString('base64url') }));
    const framing = { blockedBy: [] };
    try {
      const ctx = await browser.newContext({ viewport: { width: 900, height: 800 } });
      const fpage = await ctx.newPage();
      const framedResponse = fpage.waitForResponse((r) => new URL(r.url()).pathname === '/authorize');
      await fpage.goto(framer.url, { waitUntil: 'load' });
      const fr = await framedResponse;
      const fh = fr.headers();
      if ((fh['x-frame-options'] ?? '').toUpperCase() === 'DENY') framing.blockedBy.push('X-Frame-Options: DENY');
      if (/frame-ancestors\s+'none'/.test(fh['content-security-policy'] ?? '')) framing.blockedBy.push("CSP frame-ancestors 'none'");
      const frameNamed = async (id) => {
        const handle = await fpage.$(`iframe#${id}`);
        check(handle, `the framing page has no iframe#${id}`);
        const f = await handle.contentFrame();
        check(f, `iframe#${id} has no frame`);
        return f;
      };
      // The control frame: cross-origin, frameable, so its text must be read.
      const control = await frameNamed('control');
      await control.waitForLoadState('load', { timeout: 10000 });
      framing.controlText = (await frameText(control, 'control')).trim();
      check(framing.controlText.includes(CONTROL_TEXT), `the control frame showed ${JSON.stringify(framing.controlText)}, not its text: the test cannot read frames, so "consent not visible" would mean nothing`);
      const frame = await frameNamed('victim');
      framing.frameURL = frame.url().startsWith(args.server) ? new URL(frame.url()).pathname : frame.url();
      // Chromium replaces a document it refuses to frame with its error page.
      framing.replacedByErrorPage = frame.url().startsWith('chrome-error://');
      const inner = await frameText(frame, 'framed /authorize');
      framing.consentVisibleInFrame = inner.includes(CLIENT_NAME) || /Approve/.test(inner);
      await fpage.screenshot({ path: join(args.out, 'framed.png') });
      await ctx.close();
    } finally {
      await framer.close();
    }
    check(!framing.consentVisibleInFrame, 'the consent page rendered inside an iframe of another site');
    check(framing.replacedByErrorPage, `the framed /authorize frame is at ${framing.frameURL}, not Chromium's error page: the browser did not refuse to render it`);
    check(framing.blockedBy.length > 0, "the framed /authorize response carries neither X-Frame-Options DENY nor CSP frame-ancestors 'none'");

    return {
      playwrightVersion: version,
      chromium: browser.version(),
      consentHeaders: {
        xFrameOptions: headers['x-frame-options'],
        csp: headers['content-security-policy'],
      },
      login,
      consentRemembered: true,
      framing,
      screenshots: ['consent.png', 'github-sign-in.png', 'framed.png'],
      credentialFingerprints: credentials,
    };
  } finally {
    await browser.close();
    await callback.close();
  }
});
