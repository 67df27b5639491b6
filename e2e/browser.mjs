#!/usr/bin/env node
// browser.mjs: a scripted stand-in for a person at a web browser, used by
// the end-to-end tests wherever a real MCP client "opens the browser".
//
// It starts at an authorization URL and does what a person would do:
// follows redirects (fetch with redirect: 'manual', so every hop is seen),
// keeps cookies per host with their SameSite rules, submits the one form on
// each page with its hidden inputs and checked radio buttons, pressing the
// button that approves ("Approve with …" on mcpgate's consent page, where
// a chosen identity provider's button is pressed when there are several;
// "Authorize" on the demo GitHub's sign-in page), fills in and submits the
// sign-in form (login and password) and the consent form ("Continue") of
// oidc-provider's development interactions, and finally loads the client's
// own loopback callback URL, so that the client receives the code.
//
// Two ways to use it:
//   - imported: authorizeInBrowser(url, { log, ... }) returns what
//     happened; pass a CookieJar as jar to keep one browser's cookies
//     across several flows;
//   - as a program: node browser.mjs <url>. This is what mcp-remote and MCP
//     Inspector reach through the `open` package, xdg-open and $BROWSER.
//     Environment: E2E_BROWSER_LOG (file that receives the hop log and a
//     final "RESULT {json}" line; stderr when unset), E2E_BROWSER_LOGIN
//     (demo GitHub user to sign in as; default: the preselected one),
//     E2E_BROWSER_PROVIDER (the identity provider to choose on mcpgate's
//     consent page, by its name such as "github" or "oidc"; default: the
//     first), E2E_BROWSER_OP_LOGIN and E2E_BROWSER_OP_PASSWORD (what to type
//     into an OpenID Provider's sign-in form).
//
// The log never holds a code, a state, a CSRF token, a password or a
// cookie value: those query and form values are replaced by "REDACTED".

import { appendFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Query and form parameters whose values never reach the log. */
const SECRET_PARAMS = new Set(['code', 'state', 'csrf_token', 'request', 'code_verifier', 'access_token', 'refresh_token', 'password']);

/** Labels and values of buttons that approve; anything else is never pressed. */
const APPROVE = /^\s*(approve|authorize|allow)\b/i;
const REFUSE = /\b(deny|cancel|reject)\b/i;

/** An error of the scripted browser: the page or hop it happened on is in the message. */
export class BrowserError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BrowserError';
  }
}

/**
 * redactURL returns url (a string or URL) with the values of secret query
 * parameters replaced, for logs.
 */
export function redactURL(url) {
  let u;
  try {
    u = new URL(String(url));
  } catch {
    return '<unparseable URL>';
  }
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_PARAMS.has(key)) u.searchParams.set(key, 'REDACTED');
  }
  return u.href;
}

// ---------------------------------------------------------------- cookies

function isLoopbackHost(host) {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
}

/**
 * CookieJar keeps cookies per host name (RFC 6265: not per port) and sends
 * them back following Path, Secure, expiry and SameSite, the way a browser
 * does for top-level navigations.
 */
export class CookieJar {
  constructor() {
    /** @type {Map<string, Map<string, {value: string, path: string, secure: boolean, sameSite: string, expires: number|null}>>} */
    this.hosts = new Map();
  }

  /** store records the Set-Cookie headers of response, received for url. */
  store(url, response) {
    const u = new URL(url);
    const lines = typeof response.headers.getSetCookie === 'function' ? response.headers.getSetCookie() : [];
    for (const line of lines) {
      const parts = line.split(';');
      const eq = parts[0].indexOf('=');
      if (eq <= 0) continue;
      const name = parts[0].slice(0, eq).trim();
      const value = parts[0].slice(eq + 1).trim();
      const cookie = { value, path: '/', secure: false, sameSite: 'lax', expires: null };
      for (const attr of parts.slice(1)) {
        const [k, ...rest] = attr.split('=');
        const key = k.trim().toLowerCase();
        const v = rest.join('=').trim();
        if (key === 'path' && v.startsWith('/')) cookie.path = v;
        else if (key === 'secure') cookie.secure = true;
        else if (key === 'samesite') cookie.sameSite = v.toLowerCase();
        else if (key === 'max-age' && /^-?\d+$/.test(v)) cookie.expires = Date.now() + Number(v) * 1000;
        else if (key === 'expires' && cookie.expires === null) {
          const t = Date.parse(v);
          if (!Number.isNaN(t)) cookie.expires = t;
        }
      }
      if (!this.hosts.has(u.hostname)) this.hosts.set(u.hostname, new Map());
      const jar = this.hosts.get(u.hostname);
      if (cookie.expires !== null && cookie.expires <= Date.now()) jar.delete(name);
      else jar.set(name, cookie);
    }
  }

  /**
   * header returns the Cookie header for a request to url, or '' when none
   * applies. crossSite tells whether the navigation was started by a page
   * of another site; method is the request's method.
   */
  header(url, { crossSite, method }) {
    const u = new URL(url);
    const jar = this.hosts.get(u.hostname);
    if (!jar) return '';
    const trustworthy = u.protocol === 'https:' || isLoopbackHost(u.hostname);
    const out = [];
    for (const [name, c] of jar) {
      if (c.expires !== null && c.expires <= Date.now()) continue;
      if (c.secure && !trustworthy) continue;
      if (!(u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : c.path + '/'))) continue;
      if (crossSite && c.sameSite === 'strict') continue;
      if (crossSite && c.sameSite === 'lax' && method !== 'GET') continue;
      out.push(`${name}=${c.value}`);
    }
    return out.join('; ');
  }

  /** names lists the cookie names held for host, for the log. */
  names(host) {
    return [...(this.hosts.get(host)?.keys() ?? [])];
  }
}

// ---------------------------------------------------------------- HTML

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) ? String.fromCodePoint(n) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

function parseAttributes(s) {
  const attrs = {};
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  let m;
  while ((m = re.exec(s)) !== null) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

function textContent(html) {
  return decodeEntities(html.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/** pageTitle returns the text of the page's <title>, or ''. */
export function pageTitle(html) {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return m ? textContent(m[1]) : '';
}

/**
 * parseForms returns the forms of an HTML page: absolute action, method,
 * the fields a browser would submit without a click (hidden and text
 * inputs, checked radios and checkboxes, textareas) and the submit
 * buttons with their name, value and label.
 */
export function parseForms(html, pageURL) {
  const forms = [];
  const formRe = /<form\b([^>]*)>([\s\S]*?)<\/form>/gi;
  let fm;
  while ((fm = formRe.exec(html)) !== null) {
    const attrs = parseAttributes(fm[1]);
    const inner = fm[2];
    const form = {
      action: new URL(attrs.action || pageURL, pageURL).href,
      method: (attrs.method || 'get').toUpperCase(),
      fields: [],
      radios: [],
      buttons: [],
    };
    const inputRe = /<input\b([^>]*)>/gi;
    let im;
    while ((im = inputRe.exec(inner)) !== null) {
      const a = parseAttributes(im[1]);
      const type = (a.type || 'text').toLowerCase();
      if (!a.name && type !== 'submit') continue;
      if (type === 'submit') {
        form.buttons.push({ name: a.name || '', value: a.value ?? '', label: a.value ?? '' });
      } else if (type === 'radio') {
        form.radios.push({ name: a.name, value: a.value ?? 'on', checked: 'checked' in a });
      } else if (type === 'checkbox') {
        if ('checked' in a) form.fields.push([a.name, a.value ?? 'on']);
      } else if (!['button', 'reset', 'image', 'file'].includes(type)) {
        form.fields.push([a.name, a.value ?? '']);
      }
    }
    const textareaRe = /<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi;
    let tm;
    while ((tm = textareaRe.exec(inner)) !== null) {
      const a = parseAttributes(tm[1]);
      if (a.name) form.fields.push([a.name, decodeEntities(tm[2])]);
    }
    const buttonRe = /<button\b([^>]*)>([\s\S]*?)<\/button>/gi;
    let bm;
    while ((bm = buttonRe.exec(inner)) !== null) {
      const a = parseAttributes(bm[1]);
      if ((a.type || 'submit').toLowerCase() !== 'submit') continue;
      form.buttons.push({ name: a.name || '', value: a.value ?? '', label: textContent(bm[2]) });
    }
    forms.push(form);
  }
  return forms;
}

function approves(b) {
  return (APPROVE.test(b.label) || APPROVE.test(b.value)) && !REFUSE.test(b.label) && !REFUSE.test(b.value);
}

/**
 * devInteraction returns "login" or "consent" for a form of oidc-provider's
 * development interactions (POST to /interaction/<uid> with a hidden
 * prompt field), and undefined for any other form.
 */
function devInteraction(form) {
  if (form.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(new URL(form.action).pathname)) return undefined;
  const prompt = form.fields.find(([k]) => k === 'prompt')?.[1];
  return prompt === 'login' || prompt === 'consent' ? prompt : undefined;
}

/**
 * chooseAction returns what a person would do on a page with these forms:
 * { form, button, kind, choices } where kind is "approve" (a button that
 * approves; when it is one of several identity provider buttons, the one
 * of options.provider), "op-login" or "op-consent" (oidc-provider's
 * development sign-in and consent forms), and choices lists the identity
 * providers offered. It returns undefined when no form is to be submitted.
 */
function chooseAction(forms, options) {
  for (const form of forms) {
    const dev = devInteraction(form);
    if (!dev) continue;
    const button = form.buttons.find((b) => !REFUSE.test(b.label));
    if (!button) throw new BrowserError(`the OpenID Provider's ${dev} form has no submit button`);
    if (dev === 'login' && !(options.opLogin && options.opPassword)) {
      throw new BrowserError('the OpenID Provider asks for a login and password, and none was given (E2E_BROWSER_OP_LOGIN, E2E_BROWSER_OP_PASSWORD)');
    }
    return { form, button, kind: `op-${dev}`, choices: [] };
  }
  const form = forms.find((f) => f.buttons.some(approves));
  if (!form) return undefined;
  const approvals = form.buttons.filter(approves);
  const providers = approvals.filter((b) => b.name === 'provider');
  const choices = providers.map((b) => b.value);
  let button = approvals[0];
  if (options.provider && providers.length > 0) {
    button = providers.find((b) => b.value === options.provider);
    if (!button) {
      throw new BrowserError(
        `the consent page offers no sign-in with identity provider ${JSON.stringify(options.provider)}; it offers ` +
          providers.map((b) => `${b.value} (${JSON.stringify(b.label)})`).join(', '),
      );
    }
  }
  return { form, button, kind: 'approve', choices };
}

function formBody(form, button, { login, opLogin, opPassword, kind }) {
  const body = new URLSearchParams();
  for (const [k, v] of form.fields) {
    if (kind === 'op-login' && k === 'login') body.append(k, opLogin);
    else if (kind === 'op-login' && k === 'password') body.append(k, opPassword);
    else body.append(k, v);
  }
  const groups = new Map();
  for (const r of form.radios) {
    if (!groups.has(r.name)) groups.set(r.name, []);
    groups.get(r.name).push(r);
  }
  for (const [name, options] of groups) {
    let chosen = options.find((r) => r.checked);
    if (name === 'login' && login) {
      chosen = options.find((r) => r.value === login);
      if (!chosen) {
        throw new BrowserError(`the sign-in page offers no user ${JSON.stringify(login)} (it offers ${options.map((r) => r.value).join(', ')})`);
      }
    }
    if (chosen) body.append(name, chosen.value);
  }
  if (button.name) body.append(button.name, button.value);
  return body;
}

function redactedForm(body) {
  const copy = new URLSearchParams(body);
  for (const key of [...copy.keys()]) {
    if (SECRET_PARAMS.has(key)) copy.set(key, 'REDACTED');
  }
  return copy.toString();
}

// ---------------------------------------------------------------- driver

/**
 * authorizeInBrowser walks an OAuth authorization flow from startURL the
 * way a person with a browser would, approving every form on the way, and
 * stops at the first page without a form to approve (normally the MCP
 * client's own callback page). It throws a BrowserError when a page answers
 * 4xx/5xx or the flow does not end within maxHops.
 *
 * It resolves to { finalURL (redacted), status, title, hops, forms
 * (descriptions of the forms submitted), callbackParams (the names of the
 * final URL's query parameters) }.
 *
 * Each form entry is { page, title, kind ("approve", "op-login" or
 * "op-consent"), button, choices (identity providers the page offered),
 * action }.
 *
 * @param {string} startURL
 * @param {{log?: (line: string) => void, login?: string, provider?: string, opLogin?: string, opPassword?: string, jar?: CookieJar, maxHops?: number, fetchFn?: typeof fetch, userAgent?: string}} [options]
 */
export async function authorizeInBrowser(startURL, options = {}) {
  const log = options.log ?? (() => {});
  const fetchFn = options.fetchFn ?? fetch;
  const maxHops = options.maxHops ?? 25;
  const jar = options.jar ?? new CookieJar();
  const submitted = [];
  let req = { method: 'GET', url: new URL(startURL).href, body: undefined, initiator: null };
  for (let hop = 1; hop <= maxHops; hop++) {
    const target = new URL(req.url);
    const crossSite = req.initiator !== null && req.initiator !== `${target.protocol}//${target.hostname}`;
    const headers = {
      'user-agent': options.userAgent ?? 'mcpgate-e2e-browser/1 (scripted)',
      accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8',
    };
    const cookie = jar.header(req.url, { crossSite, method: req.method });
    if (cookie) headers.cookie = cookie;
    if (req.body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = req.origin;
    }
    let res;
    try {
      res = await fetchFn(req.url, { method: req.method, headers, body: req.body?.toString(), redirect: 'manual' });
    } catch (err) {
      throw new BrowserError(`hop ${hop}: ${req.method} ${redactURL(req.url)} failed: ${err.cause?.message ?? err.message}`);
    }
    jar.store(req.url, res);
    const location = res.headers.get('location');
    log(
      `hop ${hop}: ${req.method} ${redactURL(req.url)}${req.body !== undefined ? ` form[${redactedForm(req.body)}]` : ''}` +
        `${cookie ? ` cookies[${cookie.split('; ').map((c) => c.split('=')[0]).join(',')}]` : ''}` +
        ` -> ${res.status}${location ? ` Location: ${redactURL(new URL(location, req.url))}` : ''}`,
    );
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      // A redirect keeps the initiator of the navigation (cross-site-ness
      // is judged against the page that started it).
      req = { method: 'GET', url: new URL(location, req.url).href, body: undefined, initiator: req.initiator };
      continue;
    }
    const html = await res.text();
    const title = pageTitle(html);
    if (res.status >= 400) {
      throw new BrowserError(
        `hop ${hop}: ${req.method} ${redactURL(req.url)} answered ${res.status} (${title || 'no title'}): ${textContent(html).slice(0, 400)}`,
      );
    }
    const forms = parseForms(html, req.url);
    const action = chooseAction(forms, options);
    if (!action) {
      const final = new URL(req.url);
      log(`done: ${res.status} ${redactURL(final)} title=${JSON.stringify(title)}`);
      return {
        finalURL: redactURL(final),
        status: res.status,
        title,
        hops: hop,
        forms: submitted,
        callbackParams: [...final.searchParams.keys()],
      };
    }
    const { form, button, kind, choices } = action;
    const body = formBody(form, button, { login: options.login, opLogin: options.opLogin, opPassword: options.opPassword, kind });
    const page = new URL(req.url);
    submitted.push({ page: redactURL(page), title, kind, button: button.label || button.value, choices, action: redactURL(form.action) });
    log(`page ${JSON.stringify(title)}: pressing ${JSON.stringify(button.label || button.value)}`);
    const origin = `${page.protocol}//${page.host}`;
    if (form.method === 'POST') {
      req = { method: 'POST', url: form.action, body, origin, initiator: `${page.protocol}//${page.hostname}` };
    } else {
      const u = new URL(form.action);
      for (const [k, v] of body) u.searchParams.append(k, v);
      req = { method: 'GET', url: u.href, body: undefined, initiator: `${page.protocol}//${page.hostname}` };
    }
  }
  throw new BrowserError(`the flow did not end within ${maxHops} hops`);
}

/** fileLogger returns a log function appending timestamped lines to path (stderr when path is empty). */
export function fileLogger(path) {
  return (line) => {
    const text = `${new Date().toISOString()} ${line}\n`;
    if (path) appendFileSync(path, text);
    else process.stderr.write(text);
  };
}

async function main(argv) {
  const log = fileLogger(process.env.E2E_BROWSER_LOG ?? '');
  if (argv.length !== 1) {
    log(`usage: browser.mjs <url> (got ${argv.length} arguments)`);
    return 2;
  }
  log(`open ${redactURL(argv[0])}`);
  try {
    const result = await authorizeInBrowser(argv[0], {
      log,
      login: process.env.E2E_BROWSER_LOGIN || undefined,
      provider: process.env.E2E_BROWSER_PROVIDER || undefined,
      opLogin: process.env.E2E_BROWSER_OP_LOGIN || undefined,
      opPassword: process.env.E2E_BROWSER_OP_PASSWORD || undefined,
    });
    log(`RESULT ${JSON.stringify({ ok: true, ...result })}`);
    return 0;
  } catch (err) {
    log(`RESULT ${JSON.stringify({ ok: false, error: err.message })}`);
    return 1;
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = await main(process.argv.slice(2));
}
