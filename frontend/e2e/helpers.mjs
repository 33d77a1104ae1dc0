// Helpers for the browser end-to-end tests: playwright-core driving Debian's Chromium against the
// whole running system (nginx on :3000 → gateway → services). No mocks.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const BASE = (process.env.KPO_UI_URL ?? 'http://localhost:3000').replace(/\/$/, '');
export const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };
/** How long an order may take to reach a final status through the real pipeline. */
export const SETTLE_MS = Number(process.env.KPO_E2E_SETTLE_MS ?? 45_000);

mkdirSync(ARTIFACTS, { recursive: true });

export function launch() {
  return chromium.launch({
    executablePath: process.env.KPO_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Spaces of every kind removed: "5 000.00 ₽" → "5000.00₽". */
export const norm = (s) => (s ?? '').replace(/[\s\u00a0\u202f]/g, '');

export function uniq(prefix) {
  return `${prefix} ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** A new browser context = a new visitor; resolves once the guest session is there. */
export async function newVisitor(browser, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // What the page's Content-Security-Policy (deploy/nginx.conf) blocks is reported on the console
  // only: a script, style or request the app needs and the policy refuses counts as an error too.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  await page.goto(BASE + '/');
  await page.locator('[data-user-id]').waitFor();
  return { context, page, errors };
}

/**
 * Runs `body` with a new visitor ({ context, page, errors } of newVisitor) and closes the visitor's browser
 * context afterwards, whatever happens. Once `body` has finished, the test fails if the page threw or its
 * Content-Security-Policy refused anything meanwhile.
 */
export async function asVisitor(browser, body, viewport = DESKTOP) {
  const visitor = await newVisitor(browser, viewport);
  try {
    await body(visitor);
    noPageErrors(visitor.errors);
  } finally {
    await visitor.context.close();
  }
}

export async function userId(page) {
  return page.locator('[data-user-id]').getAttribute('data-user-id');
}

export async function balanceText(page) {
  return norm(await page.getByTestId('balance').textContent());
}

export async function waitBalance(page, expected) {
  const want = norm(expected);
  await page.waitForFunction(
    (w) => (document.querySelector('[data-testid=balance]')?.textContent ?? '').replace(/[\s\u00a0\u202f]/g, '') === w,
    want,
    { timeout: SETTLE_MS },
  );
}

/** "Create account" with the default (or a given) top-up; waits for the balance. */
export async function createAccount(page, amount) {
  const input = page.getByLabel('Initial top-up, ₽');
  if (amount !== undefined) await input.fill(amount);
  await page.getByTestId('create-account').click();
  await page.getByTestId('balance').waitFor();
}

/** Fills the order form; returns the description used. */
export async function fillOrder(page, amount, description = uniq('e2e order')) {
  await page.getByLabel('Amount, ₽').fill(amount);
  await page.getByLabel('Description').fill(description);
  return description;
}

export function orderItem(page, description) {
  return page.locator('li.order', { hasText: description });
}

/** Places an order and returns its id once it is in the list. */
export async function placeOrder(page, amount, description) {
  const desc = await fillOrder(page, amount, description);
  await page.getByTestId('place-order').click();
  const item = orderItem(page, desc);
  await item.waitFor({ timeout: 10_000 });
  return { id: await item.getAttribute('data-order-id'), description: desc, item };
}

export async function waitStatus(page, id, status) {
  await page.locator(`li.order[data-order-id="${id}"][data-status="${status}"]`).waitFor({ timeout: SETTLE_MS });
}

/** Calls the API from inside the page with the page's own session (as the UI does). */
export async function api(page, path, init = {}) {
  return page.evaluate(
    async ({ path, init }) => {
      const s = JSON.parse(localStorage.getItem('kpo4.session') ?? 'null');
      const res = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), Authorization: `Bearer ${s?.token}` } });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, retryAfter: res.headers.get('Retry-After') };
    },
    { path, init },
  );
}

/** Records every status each order element shows, in order, from now on. */
export async function recordStatuses(page) {
  await page.evaluate(() => {
    const seen = (window.__kpoSeen = {});
    const note = (el) => {
      const id = el.getAttribute?.('data-order-id');
      if (!id) return;
      const list = (seen[id] ??= []);
      const st = el.getAttribute('data-status');
      if (list.at(-1) !== st) list.push(st);
    };
    new MutationObserver((muts) => {
      for (const m of muts) {
        if (m.type === 'attributes') note(m.target);
        for (const n of m.addedNodes ?? []) {
          if (n.nodeType !== 1) continue;
          note(n);
          n.querySelectorAll?.('[data-order-id]').forEach(note);
        }
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
}

export async function seenStatuses(page, id) {
  return page.evaluate((id) => window.__kpoSeen?.[id] ?? [], id);
}

export async function shot(page, name) {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

export function noPageErrors(errors) {
  assert.deepEqual(errors, [], `uncaught errors in the page: ${errors.join('; ')}`);
}

/**
 * WCAG AA contrast of every visible piece of text on the page: 4.5:1, or 3:1 for large text (24 px, or
 * 18.66 px bold). The background is found by blending ancestors' background colours up to an opaque one;
 * text over a gradient or an image is skipped (it cannot be measured this way), as is a disabled control
 * (WCAG exempts it). Returns the failures and the lowest ratio seen.
 */
export async function contrastReport(page) {
  return page.evaluate(() => {
    const rgba = (s) => {
      const m = /rgba?\(([^)]+)\)/.exec(s);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const over = (top, bottom) => ({
      r: top.r * top.a + bottom.r * (1 - top.a),
      g: top.g * top.a + bottom.g * (1 - top.a),
      b: top.b * top.a + bottom.b * (1 - top.a),
      a: 1,
    });
    const lum = ({ r, g, b }) =>
      [r, g, b]
        .map((c) => c / 255)
        .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
        .reduce((s, c, i) => s + c * [0.2126, 0.7152, 0.0722][i], 0);
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.backgroundImage !== 'none') return null;
        const c = rgba(cs.backgroundColor);
        if (c && c.a > 0) layers.push(c);
        if (c && c.a >= 1) break;
      }
      let bg = { r: 255, g: 255, b: 255, a: 1 };
      for (const l of layers.reverse()) bg = over(l, bg);
      return bg;
    };
    const failures = [];
    let min = Infinity;
    for (const el of document.querySelectorAll('body *')) {
      const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join('');
      if (!text) continue;
      const rect = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (rect.width <= 1 || rect.height <= 1 || cs.visibility === 'hidden' || cs.opacity === '0') continue;
      if (el.closest('[aria-hidden=true], .sr-only, :disabled')) continue;
      const bg = background(el);
      const fg = rgba(cs.color);
      if (!bg || !fg) continue;
      const [hi, lo] = [lum(over(fg, bg)), lum(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      min = Math.min(min, ratio);
      if (ratio < (large ? 3 : 4.5)) failures.push(`${ratio.toFixed(2)}:1 "${text.slice(0, 40)}" (${el.className || el.tagName})`);
    }
    return { failures, min: Number(min.toFixed(2)) };
  });
}
