#!/usr/bin/env node
// oidc-op.mjs: a real, independent OpenID Provider for the federation
// test, built on oidc-provider (panva's OpenID Certified implementation),
// with the smallest configuration a real deployment would have:
//
//  - issuer http://127.0.0.1:<port> (a loopback port chosen by the
//    system), so a different site from mcpgate's http://localhost:<port>;
//  - one confidential client (client_secret_basic) whose redirect URIs are
//    mcpgate's callbacks, authorization code only, PKCE (S256) required,
//    refresh tokens issued and rotated on every use;
//  - one account: sub "op-user-1", verified e-mail "user@example.test",
//    name and preferred_username; the claims of the openid, email and
//    profile scopes;
//  - oidc-provider's development interactions (devInteractions): its own
//    HTML sign-in form (login and password) and consent form, which
//    browser.mjs fills in and submits like a person. The development
//    sign-in accepts any login and password, so this script checks them in
//    front of it (a wrong pair gets 401);
//  - a freshly generated RSA signing key (RS256) and cookie key per run.
//
// It prints "ISSUER <issuer>" on stdout when it is ready, and on stderr one
// line per request ("REQUEST <method> <path> <status>", no query values)
// and per event ("EVENT {json}", never a token or code), which the Go test
// reads. SIGINT or SIGTERM stops it.
//
// Usage: OIDC_OP_CLIENT_SECRET=… OIDC_OP_PASSWORD=… node oidc-op.mjs
//          --client-id ID --redirect-uri URI [--redirect-uri URI]… [--port N]

import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

/** The one account of this provider. */
export const ACCOUNT = Object.freeze({
  sub: 'op-user-1',
  email: 'user@example.test',
  email_verified: true,
  name: 'Olivia Provider',
  preferred_username: 'olivia',
});

function fail(message) {
  process.stderr.write(`oidc-op: ${message}\n`);
  process.exit(2);
}

function event(name, fields) {
  process.stderr.write(`EVENT ${JSON.stringify({ event: name, ...fields })}\n`);
}

function sameSecret(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

const { values: args } = parseArgs({
  options: {
    'client-id': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    port: { type: 'string', default: '0' },
  },
  strict: true,
});
const clientSecret = process.env.OIDC_OP_CLIENT_SECRET;
const password = process.env.OIDC_OP_PASSWORD;
if (!args['client-id']) fail('--client-id is required');
if (!args['redirect-uri']?.length) fail('at least one --redirect-uri is required');
if (!clientSecret) fail('OIDC_OP_CLIENT_SECRET must be set (the client secret never goes on the command line)');
if (!password) fail(`OIDC_OP_PASSWORD must be set (the password of ${ACCOUNT.sub})`);

// Listen first: the issuer includes the port the system chose.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(args.port), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: args['client-id'],
      client_secret: clientSecret,
      client_name: 'mcpgate (end-to-end test)',
      redirect_uris: args['redirect-uri'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  // Refresh tokens for every client allowed the grant (mcpgate asks for
  // openid email profile, without offline_access), rotated on every use.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  async findAccount(_ctx, id) {
    if (id !== ACCOUNT.sub) return undefined;
    return {
      accountId: ACCOUNT.sub,
      async claims() {
        return { ...ACCOUNT };
      },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
  },
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
});

// Every request is logged with its answer's status (no query values).
provider.use(async (ctx, next) => {
  try {
    await next();
  } finally {
    process.stderr.write(`REQUEST ${ctx.method} ${ctx.path} ${ctx.status}\n`);
  }
});

// The development sign-in form accepts any login and password; check the
// pair here, before it, the way a real sign-in page would.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && /^\/interaction\/[^/]+$/.test(ctx.path) && ctx.is('application/x-www-form-urlencoded')) {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    if (form.get('prompt') === 'login') {
      const ok = form.get('login') === ACCOUNT.sub && sameSecret(form.get('password') ?? '', password);
      event('login', { ok, login: form.get('login') });
      if (!ok) {
        ctx.status = 401;
        ctx.type = 'html';
        ctx.body = '<!doctype html><title>Sign-in failed</title><p>Wrong login or password.</p>';
        return;
      }
    }
    // oidc-provider reads an already parsed body from ctx.request.body.
    ctx.request.body = Object.fromEntries(form);
  }
  await next();
});

provider.on('authorization.success', (ctx) => {
  const p = ctx.oidc.params;
  event('authorization.success', {
    client_id: p.client_id,
    scope: p.scope,
    code_challenge_method: p.code_challenge_method,
    nonce: Boolean(p.nonce),
    state: Boolean(p.state),
    redirect_uri: p.redirect_uri,
  });
});
provider.on('authorization.error', (_ctx, err) => event('authorization.error', { error: err.error, description: err.error_description }));
provider.on('grant.success', (ctx) => event('grant.success', { grant_type: ctx.oidc.params.grant_type, client_id: ctx.oidc.client?.clientId }));
provider.on('grant.error', (ctx, err) => event('grant.error', { grant_type: ctx.oidc.params?.grant_type, error: err.error, description: err.error_description }));
provider.on('userinfo.error', (_ctx, err) => event('userinfo.error', { error: err.error, description: err.error_description }));
provider.on('server_error', (_ctx, err) => event('server_error', { message: err.message }));

server.on('request', provider.callback());
process.stdout.write(`ISSUER ${issuer}\n`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
