#!/usr/bin/env node
// mcp-remote.mjs: mcp-remote (the stdio ↔ remote proxy that Claude Desktop
// and other stdio-only clients use) against mcpgate.
//
// It spawns mcp-remote's proxy with a fresh HOME and MCP_REMOTE_CONFIG_DIR
// and with BROWSER set to browser.mjs (mcp-remote opens the authorization
// URL with the `open` package → xdg-open → $BROWSER), then speaks JSON-RPC
// over the proxy's stdin/stdout as an MCP host would: initialize,
// notifications/initialized, tools/list (the GitHub tools must be there),
// tools/call get_me (must say "mona"), then what a host's attachment and
// prompt menus use: resources/templates/list (the repo:// templates),
// resources/read of repo://mona/hello-world/contents/README.md,
// prompts/list and prompts/get summarize_issue (mona/hello-world#1). The
// script reports the template URIs, the prompt names, the resource's
// contents and the prompt's result as MCP returned them; e2e_test.go checks
// what they say.
//
// Usage: node mcp-remote.mjs --server http://localhost:PORT [--out DIR]
//        [--transport http-first|sse-only] [--backend github|everything]
// With --backend everything, mcpgate is a gateway in front of
// @modelcontextprotocol/server-everything: tools/list must be its (echo,
// no get_me) and tools/call echo must echo.
// With sse-only the proxy connects to <server>/sse with the legacy
// HTTP+SSE transport; otherwise to <server>/mcp (streamable HTTP first).

import { spawn } from 'node:child_process';
import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import {
  browserEnv,
  check,
  CheckError,
  checkToolList,
  freePort,
  getMeLogin,
  packageBin,
  run,
  scriptArgs,
  storedCredentialFingerprints,
  waitForBrowser,
  withTimeout,
} from './common.mjs';

/** StdioPeer sends JSON-RPC requests over a child's stdin and matches the answers on its stdout. */
class StdioPeer {
  constructor(child, transcript) {
    this.child = child;
    this.transcript = transcript;
    this.nextID = 1;
    this.pending = new Map();
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exited.then(({ code, signal }) => {
      for (const { reject } of this.pending.values()) reject(new Error(`mcp-remote exited (code ${code}, signal ${signal}) before answering`));
      this.pending.clear();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.transcript.write(`${new Date().toISOString()} <- ${line}\n`);
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        return; // not JSON-RPC: ignored like a host would
      }
      if (msg.id !== undefined && this.pending.has(msg.id) && (msg.result !== undefined || msg.error !== undefined)) {
        const { resolve, reject, method } = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) reject(new Error(`${method} failed: ${JSON.stringify(msg.error)}`));
        else resolve(msg.result);
      }
    });
  }

  write(msg) {
    const line = JSON.stringify(msg);
    this.transcript.write(`${new Date().toISOString()} -> ${line}\n`);
    this.child.stdin.write(line + '\n');
  }

  request(method, params, timeoutMs) {
    const id = this.nextID++;
    const answer = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
    this.write({ jsonrpc: '2.0', id, method, params });
    return withTimeout(answer, timeoutMs, `mcp-remote ${method}`);
  }

  notify(method, params) {
    this.write({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
  }
}

/**
 * resourcesAndPrompts lists the resource templates and prompts through the
 * proxy, reads README.md of mona/hello-world and gets summarize_issue for
 * its issue #1 (prompt arguments are strings).
 */
async function resourcesAndPrompts(peer) {
  const templates = await peer.request('resources/templates/list', {}, 20000);
  check(Array.isArray(templates?.resourceTemplates), `resources/templates/list returned ${JSON.stringify(templates).slice(0, 300)}`);
  const read = await peer.request('resources/read', { uri: 'repo://mona/hello-world/contents/README.md' }, 20000);
  const content = read?.contents?.[0];
  check(typeof content?.text === 'string', `resources/read of README.md returned ${JSON.stringify(read).slice(0, 300)}`);
  const listed = await peer.request('prompts/list', {}, 20000);
  check(Array.isArray(listed?.prompts), `prompts/list returned ${JSON.stringify(listed).slice(0, 300)}`);
  const got = await peer.request(
    'prompts/get',
    { name: 'summarize_issue', arguments: { owner: 'mona', repo: 'hello-world', issue_number: '1' } },
    20000,
  );
  check(Array.isArray(got?.messages), `prompts/get summarize_issue returned ${JSON.stringify(got).slice(0, 300)}`);
  return {
    resourceTemplates: templates.resourceTemplates.map((t) => t.uriTemplate),
    readme: content,
    prompts: listed.prompts.map((p) => p.name),
    prompt: got,
  };
}

await run('mcp-remote', async () => {
  const args = scriptArgs({ transport: { type: 'string', default: 'http-first' }, backend: { type: 'string', default: 'github' } });
  check(['github', 'everything'].includes(args.backend), `--backend must be github or everything, got ${args.backend}`);
  check(['http-first', 'sse-only'].includes(args.transport), `--transport must be http-first or sse-only, got ${args.transport}`);
  const { path: proxy, version } = packageBin('mcp-remote', 'mcp-remote');
  const home = join(args.out, 'home');
  const configDir = join(args.out, 'mcp-auth');
  rmSync(home, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
  const env = browserEnv(args.out, { ...process.env, HOME: home, MCP_REMOTE_CONFIG_DIR: configDir });
  rmSync(env.E2E_BROWSER_LOG, { force: true });

  const url = `${args.server}${args.transport === 'sse-only' ? '/sse' : '/mcp'}`;
  const callbackPort = await freePort();
  const argv = [proxy, url, String(callbackPort)];
  if (args.transport === 'sse-only') argv.push('--transport', 'sse-only');
  const stderr = createWriteStream(join(args.out, 'mcp-remote.stderr.log'));
  const transcript = createWriteStream(join(args.out, 'mcp-remote.jsonrpc.log'));
  const child = spawn(process.execPath, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.pipe(stderr);
  let stderrText = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderrText += d));
  const peer = new StdioPeer(child, transcript);

  try {
    const init = await peer.request(
      'initialize',
      { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mcpgate-e2e-stdio-host', version: '1.0.0' } },
      60000,
    );
    check(init?.serverInfo?.name, `initialize returned no serverInfo: ${JSON.stringify(init)}`);
    // mcp-remote says which transport it ended up with.
    const connected = /Connected to remote server using (\w+)/.exec(stderrText)?.[1];
    const wantTransport = args.transport === 'sse-only' ? 'SSEClientTransport' : 'StreamableHTTPClientTransport';
    check(connected === wantTransport, `mcp-remote connected with ${connected ?? 'an unreported transport'}, want ${wantTransport}`);
    peer.notify('notifications/initialized');
    let tools, login, echo, resourceTemplates, readme, prompts, prompt;
    if (args.backend === 'everything') {
      tools = (await peer.request('tools/list', {}, 20000)).tools.map((t) => t.name);
      check(tools.includes('echo') && !tools.includes('get_me'), `tools/list is not server-everything's: ${tools.join(', ')}`);
      const said = await peer.request('tools/call', { name: 'echo', arguments: { message: 'through mcp-remote and mcpgate' } }, 20000);
      echo = said?.content?.[0]?.text;
      check(echo === 'Echo: through mcp-remote and mcpgate', `echo returned ${JSON.stringify(said).slice(0, 300)}`);
    } else {
      tools = checkToolList((await peer.request('tools/list', {}, 20000)).tools);
      login = getMeLogin(await peer.request('tools/call', { name: 'get_me', arguments: {} }, 20000));
      check(login === 'mona', `get_me returned login ${login}, want mona`);
      ({ resourceTemplates, readme, prompts, prompt } = await resourcesAndPrompts(peer));
    }

    // The browser stand-in must have been used, once, and have succeeded.
    // mcp-remote answers as soon as its callback has the code, while the
    // browser (a detached process) may still be loading the callback page:
    // wait for that process to exit before reading its result.
    const { opened, finished, exitCodes, result: browser } = await waitForBrowser(env.E2E_BROWSER_LOG);
    check(opened === 1, `mcp-remote opened the browser ${opened} times, want 1`);
    check(finished === opened, `the browser stand-in exited (status ${exitCodes.join(', ')}) without writing its result`);
    check(browser?.ok, `the browser stand-in failed: ${browser?.error ?? 'it did not finish'}`);
    check(browser.callbackParams.includes('code'), 'the browser did not reach the callback with a code');
    check(new URL(browser.finalURL).port === String(callbackPort), `the browser ended at ${browser.finalURL}, not on mcp-remote's callback port ${callbackPort}`);

    return {
      mcpRemoteVersion: version,
      transport: args.transport,
      url,
      remoteTransport: connected,
      protocolVersion: init.protocolVersion,
      serverInfo: init.serverInfo,
      tools,
      login,
      echo,
      resourceTemplates,
      readme,
      prompts,
      prompt,
      browserHops: browser.hops,
      credentialFingerprints: storedCredentialFingerprints(configDir, 'mcp-remote'),
    };
  } catch (err) {
    // Say why mcp-remote gave up: its last words are on its stderr.
    const fatal = stderrText.lastIndexOf('Fatal error');
    const said = (fatal >= 0 ? stderrText.slice(fatal) : stderrText.slice(-1500)).split('\n').slice(0, 8).join(' | ');
    throw new CheckError(`${err.message}${said ? `; mcp-remote's stderr: ${said}` : ''}`);
  } finally {
    child.stdin.end();
    child.kill('SIGTERM');
    let timer;
    const exited = await Promise.race([peer.exited, new Promise((r) => (timer = setTimeout(() => r(null), 5000)))]);
    clearTimeout(timer);
    if (exited === null) child.kill('SIGKILL');
    stderr.end();
    transcript.end();
  }
});
