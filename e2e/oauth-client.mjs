// oauth-client.mjs: an OAuthClientProvider for the TypeScript MCP SDK
// (@modelcontextprotocol/sdk 1.x) that keeps everything in memory and
// "opens the browser" by running browser.mjs in-process, plus a recording
// fetch that notes every request the SDK makes to mcpgate.
//
// Used by ts-sdk.mjs (the full client story) and by the scripts that need a
// real access token obtained the way a real client obtains one
// (conformance.mjs).

import { createHash, randomBytes } from 'node:crypto';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

import { authorizeInBrowser, CookieJar } from './browser.mjs';
import { check, CheckError, E2E_DIR, withTimeout } from './common.mjs';

/**
 * SDK_V1 is the TypeScript SDK's v1 line (@modelcontextprotocol/sdk), the
 * one most clients use: the classes and functions the scripts need, and
 * finish(transport, params), which completes an authorization with the
 * callback's parameters the way this line's finishAuth takes them.
 */
export const SDK_V1 = Object.freeze({
  line: 'v1',
  pkg: '@modelcontextprotocol/sdk',
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  auth,
  finish: (transport, params) => transport.finishAuth(params.code),
});

/**
 * loadSDK returns SDK_V1 for "v1", or the same shape for the v2 client
 * package (@modelcontextprotocol/client) for "v2", whose finishAuth takes
 * the whole callback (it checks iss itself, RFC 9207), and the installed
 * version of the package.
 */
export async function loadSDK(line) {
  if (line === 'v1') return { ...SDK_V1, version: packageVersion(SDK_V1.pkg) };
  check(line === 'v2', `unknown SDK line ${JSON.stringify(line)}: want v1 or v2`);
  const m = await import('@modelcontextprotocol/client');
  return Object.freeze({
    line: 'v2',
    pkg: '@modelcontextprotocol/client',
    version: packageVersion('@modelcontextprotocol/client'),
    Client: m.Client,
    StreamableHTTPClientTransport: m.StreamableHTTPClientTransport,
    UnauthorizedError: m.UnauthorizedError,
    auth: m.auth,
    finish: (transport, params) => transport.finishAuth(new URLSearchParams(params)),
  });
}

function packageVersion(pkg) {
  // Read the file: a package's "exports" may not include package.json.
  return JSON.parse(readFileSync(join(E2E_DIR, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

/** fingerprint names a token in logs without revealing it. */
export function fingerprint(token) {
  return token ? createHash('sha256').update(token).digest('hex').slice(0, 12) : '';
}

/**
 * recordingFetch returns { fetch, entries }: a fetch that passes requests
 * through and appends { method, path, status, bearer (fingerprint),
 * grantType, error } to entries. For /token and /register it reads the
 * form's grant_type and, on failure, the JSON error code.
 */
export function recordingFetch(base = fetch) {
  const entries = [];
  async function recorded(input, init = {}) {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : input);
    const headers = new Headers(init.headers ?? request?.headers);
    const entry = { method: (init.method ?? request?.method ?? 'GET').toUpperCase(), path: url.pathname };
    const auth = headers.get('authorization');
    if (auth?.toLowerCase().startsWith('bearer ')) entry.bearer = fingerprint(auth.slice(7));
    if (url.pathname === '/token' && init.body) {
      entry.grantType = new URLSearchParams(String(init.body)).get('grant_type');
    }
    entries.push(entry);
    const res = await base(input, init);
    entry.status = res.status;
    if (res.status >= 400 && (url.pathname === '/token' || url.pathname === '/register')) {
      try {
        entry.error = (await res.clone().json()).error;
      } catch {
        entry.error = '(no JSON body)';
      }
    }
    if (res.status === 401 || res.status === 403) entry.wwwAuthenticate = res.headers.get('www-authenticate') ?? '';
    if (url.pathname === '/token' && res.ok) {
      try {
        entry.scope = (await res.clone().json()).scope;
      } catch {
        entry.scope = undefined;
      }
    }
    return res;
  }
  return { fetch: recorded, entries };
}

/**
 * MemoryOAuthProvider is an OAuthClientProvider with in-memory storage. Its
 * redirectToAuthorization starts the scripted browser at the authorization
 * URL; waitForCode then returns the code that reached the loopback
 * callback, after checking state and the RFC 9207 iss parameter. The
 * browser keeps one cookie jar for all its flows, as a person's browser
 * does (so that, for instance, mcpgate's remembered consent applies).
 */
export class MemoryOAuthProvider {
  /**
   * browser holds the scripted browser's options: login (demo GitHub
   * user), provider (identity provider to choose on the consent page),
   * opLogin and opPassword (OpenID Provider sign-in).
   *
   * @param {{redirectUrl: string, clientName: string, issuer: string, callback: {next: () => Promise<Record<string,string>>}, log?: (line: string) => void, login?: string, browser?: {provider?: string, opLogin?: string, opPassword?: string}}} options
   */
  constructor({ redirectUrl, clientName, issuer, callback, log, login, browser }) {
    this._redirectUrl = redirectUrl;
    this._clientName = clientName;
    this._issuer = issuer;
    this._callback = callback;
    this._log = log ?? (() => {});
    this._login = login;
    this._browserOptions = browser ?? {};
    this._jar = new CookieJar();
    this._client = undefined;
    this._tokens = undefined;
    this._verifier = undefined;
    this._state = undefined;
    this._browser = undefined;
    /** Client IDs in the order they were saved (one per registration). */
    this.registrations = [];
    /** How many times the SDK sent the user to the authorization endpoint. */
    this.authorizations = 0;
    /** How many token responses were saved. */
    this.tokenSaves = 0;
    /** invalidateCredentials calls, by scope, in order. */
    this.invalidations = [];
    /** The scope parameter of each authorization request, in order. */
    this.requestedScopes = [];
    /** The browser's account of each completed authorization, in order. */
    this.flows = [];
    /**
     * Fingerprints of every credential the client received (authorization
     * codes, access and refresh tokens), for checking that none of them
     * shows up in mcpgate's log.
     */
    this.fingerprints = new Set();
  }

  get redirectUrl() {
    return this._redirectUrl;
  }

  get clientMetadata() {
    return {
      client_name: this._clientName,
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state() {
    this._state = randomBytes(16).toString('base64url');
    return this._state;
  }

  clientInformation() {
    return this._client;
  }

  saveClientInformation(info) {
    if (info.client_id !== this._client?.client_id) this.registrations.push(info.client_id);
    this._client = info;
  }

  tokens() {
    return this._tokens;
  }

  saveTokens(tokens) {
    this.tokenSaves++;
    this._tokens = tokens;
    for (const t of [tokens.access_token, tokens.refresh_token]) if (t) this.fingerprints.add(fingerprint(t));
  }

  redirectToAuthorization(url) {
    this.authorizations++;
    this.requestedScopes.push(url.searchParams.get('scope'));
    this._log(`SDK asks to open ${url.origin}${url.pathname} (authorization #${this.authorizations}, scope ${url.searchParams.get('scope')})`);
    this._browser = authorizeInBrowser(url.href, { log: this._log, login: this._login, jar: this._jar, ...this._browserOptions });
    // The outcome is read by waitForCode; never leave a rejection unhandled.
    this._browser.catch(() => {});
  }

  saveCodeVerifier(verifier) {
    this._verifier = verifier;
  }

  codeVerifier() {
    check(this._verifier, 'the SDK asked for a PKCE code verifier before saving one');
    return this._verifier;
  }

  invalidateCredentials(scope) {
    this.invalidations.push(scope);
    if (scope === 'all' || scope === 'client') this._client = undefined;
    if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this._verifier = undefined;
  }

  /**
   * replaceClient swaps the stored client information for a copy with
   * client_id, as if the server had forgotten the registration.
   */
  replaceClientID(clientID) {
    check(this._client, 'no client information to replace');
    this._client = { ...this._client, client_id: clientID };
  }

  /** replaceAccessToken swaps the stored access token, keeping the refresh token. */
  replaceAccessToken(accessToken) {
    check(this._tokens, 'no tokens to replace');
    this._tokens = { ...this._tokens, access_token: accessToken };
  }

  /**
   * waitForCode waits for the browser started by the last
   * redirectToAuthorization, then for the callback it delivered, and
   * returns the authorization code after checking state and iss.
   */
  async waitForCode(timeoutMs = 30000) {
    return (await this.waitForCallback(timeoutMs)).code;
  }

  /**
   * waitForCallback is waitForCode returning all the callback's query
   * parameters (code, state, iss).
   */
  async waitForCallback(timeoutMs = 30000) {
    check(this._browser, 'the SDK never asked to open the browser');
    const browser = this._browser;
    this._browser = undefined;
    const flow = await withTimeout(browser, timeoutMs, 'browser flow');
    this.flows.push(flow);
    const params = await withTimeout(this._callback.next(), timeoutMs, 'OAuth callback');
    check(params.code, `the callback carried no code (parameters: ${Object.keys(params).join(', ')})`);
    this.fingerprints.add(fingerprint(params.code));
    check(params.state === this._state, 'the callback state does not match the state sent');
    check(params.iss === this._issuer, `the callback iss is ${JSON.stringify(params.iss)}, want ${JSON.stringify(this._issuer)} (RFC 9207)`);
    this._log(`callback received after ${flow.hops} hops (parameters: ${flow.callbackParams.join(', ')})`);
    return params;
  }
}

/**
 * connectMCP connects an SDK Client to mcpURL with provider, running the
 * browser flow when the server asks for authorization, the way the SDK's
 * own OAuth example does: connect, catch UnauthorizedError, finishAuth with
 * the code, connect again with a new transport. sdk is SDK_V1 (default) or
 * what loadSDK returned.
 */
export async function connectMCP({ mcpURL, provider, fetchFn, name = 'mcpgate-e2e', log = () => {}, sdk = SDK_V1 }) {
  const open = () => ({
    transport: new sdk.StreamableHTTPClientTransport(mcpURL, { authProvider: provider, fetch: fetchFn }),
    client: new sdk.Client({ name, version: '1.0.0' }),
  });
  const first = open();
  try {
    await first.client.connect(first.transport);
    return { ...first, authorized: false };
  } catch (err) {
    if (!(err instanceof sdk.UnauthorizedError)) throw err;
    log('connect: server asked for authorization');
    await sdk.finish(first.transport, await provider.waitForCallback());
    await first.client.close();
  }
  const second = open();
  await second.client.connect(second.transport);
  return { ...second, authorized: true };
}

/**
 * withReauthorization runs op(); when the SDK gives up with
 * UnauthorizedError (it sent the user to the browser), it completes the
 * browser flow on transport, and returns { reauthorized: true } so that the
 * caller reconnects. Any other error is rethrown.
 */
export async function withReauthorization(op, { provider, transport }) {
  try {
    return { value: await op(), reauthorized: false };
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
    const code = await provider.waitForCode();
    await transport.finishAuth(code);
    return { value: undefined, reauthorized: true };
  }
}

/**
 * obtainAccessToken runs the whole flow (discovery, registration, consent,
 * demo GitHub sign-in, code exchange) with the SDK and returns the token
 * response. The MCP connection used for it is closed again.
 */
export async function obtainAccessToken({ server, callback, log, clientName }) {
  const provider = new MemoryOAuthProvider({
    redirectUrl: callback.url,
    clientName,
    issuer: server,
    callback,
    log,
  });
  const { client, authorized } = await connectMCP({ mcpURL: new URL('/mcp', server), provider, log });
  await client.close();
  if (!authorized) throw new CheckError('the server let an MCP client connect without authorization');
  return provider.tokens();
}
