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
  await page.goto(BASE + '/');
  await page.locator('[data-user-id]').waitFor();
  return { context, page, errors };
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
      return { status: res.status, body: text ? JSON.parse(text) : null };
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
