// End-to-end tests of what a user notices beyond the happy path: an address per order, an overloaded or
// unavailable service, amounts beyond 2^53, what signing up does to a guest's orders, text contrast.
// Run with the other e2e tests: node --test --test-concurrency=1 e2e/*.test.mjs
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE,
  PHONE,
  api,
  asVisitor,
  contrastReport,
  createAccount,
  fillOrder,
  launch,
  norm,
  orderItem,
  placeOrder,
  shot,
  uniq,
  userId,
  waitBalance,
  waitStatus,
} from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const openDetails = (page, id) => page.locator(`li.order[data-order-id="${id}"] [data-testid=timeline]`);

describe('web UI beyond the happy path', { timeout: 240_000 }, () => {
  it('each order has its own address: a click, a reload, a link in a new tab, Back, and a link to an older order', async () => {
    await asVisitor(browser, async ({ context, page }) => {
      await createAccount(page);
      const { id, item } = await placeOrder(page, '12.00');
      await waitStatus(page, id, 'Finished');
      await item.locator('.order-row').click();
      await page.waitForURL(`${BASE}/orders/${id}`);
      assert.equal(await item.locator('.order-row').getAttribute('aria-expanded'), 'true');
      assert.equal(await item.getByTestId('order-link').getAttribute('href'), `/orders/${id}`);

      // A reload opens the same order.
      await page.reload();
      await openDetails(page, id).waitFor();
      assert.match(await page.title(), new RegExp(`Order #${id.slice(-8)}`));

      // The address pasted into a new tab of the same browser (same session) opens it too.
      const tab = await context.newPage();
      await tab.goto(`${BASE}/orders/${id}`);
      await openDetails(tab, id).waitFor();
      await tab.close();

      // Closing the details goes back to /; Back reopens them.
      await page.locator(`li.order[data-order-id="${id}"] .order-row`).click();
      await page.waitForURL(`${BASE}/`);
      assert.equal(await openDetails(page, id).count(), 0);
      await page.goBack();
      await page.waitForURL(`${BASE}/orders/${id}`);
      await openDetails(page, id).waitFor();

      // An order older than the first page: the link fetches it and opens it.
      for (let i = 1; i <= 10; i++) {
        const key = crypto.randomUUID();
        // On a busy machine orders may refuse for a moment while its pipeline catches up (503 with
        // Retry-After): as the contract asks of a client, this one comes back then with the same key.
        let r;
        for (let attempt = 0; attempt < 10; attempt++) {
          r = await api(page, '/api/orders', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
            body: JSON.stringify({ amount: 100, description: `newer order ${i}` }),
          });
          if (r.status !== 503 || !r.retryAfter) break;
          await page.waitForTimeout(Number(r.retryAfter) * 1000);
        }
        assert.equal(r.status, 202, JSON.stringify(r.body));
      }
      await page.goto(`${BASE}/orders/${id}`);
      await openDetails(page, id).waitFor();
      await page.locator('li.order').nth(10).waitFor();
      await shot(page, '10-desktop-order-by-address');

      // Someone else with the link: the order is not theirs (404 by contract) and the page says so.
      await asVisitor(browser, async ({ page: other }) => {
        await other.goto(`${BASE}/orders/${id}`);
        const missing = other.getByTestId('order-missing');
        await missing.waitFor();
        assert.match(await missing.textContent(), new RegExp(`Order #${id.slice(-8)} was not found`));
        assert.equal(await other.locator('li.order').count(), 0);
        await missing.getByRole('button', { name: 'Close' }).click();
        await other.waitForURL(`${BASE}/`);
      });
    });
  });

  for (const c of [
    { status: 503, type: '/problems/overloaded', retryAfter: 3, text: 'Too many orders right now — try again in 3 s.' },
    // An outage is not a crowd: orders cannot be reached, or its database is down.
    { status: 503, type: '/problems/unavailable', retryAfter: 3, text: 'The service is unavailable — try again in 3 s.' },
    { status: 429, type: '/problems/too-many-requests', retryAfter: 2, text: 'Too many requests right now — try again in 2 s.' },
  ]) {
    it(`a ${c.status} (${c.type}) from POST /api/orders says when to try again, and the button waits for Retry-After`, async () => {
      await asVisitor(browser, async ({ context, page }) => {
        await createAccount(page);
        let refused = 0;
        // What the system sends when it refuses new orders: problem+json with Retry-After.
        await context.route('**/api/orders', (route) => {
          if (route.request().method() !== 'POST') return route.continue();
          refused++;
          return route.fulfill({
            status: c.status,
            headers: { 'Content-Type': 'application/problem+json', 'Retry-After': String(c.retryAfter) },
            body: JSON.stringify({ type: c.type, title: 'Refused', status: c.status, detail: 'Order intake is full' }),
          });
        });
        const desc = await fillOrder(page, '15.00', uniq('refused'));
        const button = page.getByTestId('place-order');
        await button.click();
        const message = page.getByTestId('order-error');
        await message.waitFor();
        const shownAt = Date.now();
        assert.equal(await message.textContent(), c.text);
        assert.equal(await message.getAttribute('role'), 'alert');
        assert.ok(await button.isDisabled(), 'the button waits');
        assert.match(await button.textContent(), /^Place order \(\d s\)$/);
        if (c.status === 503) await shot(page, '11-desktop-orders-refused-503');
        // Submitting the form another way while waiting sends nothing.
        await page.evaluate(() => document.querySelector('form.order-form').requestSubmit());
        await page.waitForFunction(() => !document.querySelector('[data-testid=place-order]').disabled, null, { timeout: 10_000 });
        const waited = Date.now() - shownAt;
        assert.ok(waited >= (c.retryAfter - 1) * 1000, `enabled again after ${waited} ms`);
        assert.equal(refused, 1);
        assert.equal(await message.count(), 0, 'the message goes once the wait is over');
        assert.equal(await button.textContent(), 'Place order');
        assert.equal(await orderItem(page, desc).count(), 0);

        // Accepted again: the same submission goes through.
        await context.unroute('**/api/orders');
        await button.click();
        await orderItem(page, desc).waitFor();
        const id = await orderItem(page, desc).getAttribute('data-order-id');
        await waitStatus(page, id, 'Finished');
        const r = await api(page, '/api/orders?limit=100');
        assert.equal(r.body.items.filter((o) => o.description === desc).length, 1);
      });
    });
  }

  it('while the API is down the page says so and retries; it neither claims "No orders yet" nor offers "Place order"', async () => {
    await asVisitor(browser, async ({ context, page }) => {
      // nginx's own answer when the gateway is down.
      await context.route('**/api/**', (route) =>
        route.fulfill({ status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }),
      );
      await page.reload();
      const banner = page.getByTestId('unavailable');
      await banner.waitFor();
      assert.match(await banner.textContent(), /The service is unavailable, retrying/);
      // Give the orders list time to (wrongly) call itself empty.
      await page.waitForTimeout(2500);
      assert.equal(await page.getByText('No orders yet').count(), 0);
      assert.ok(await page.getByTestId('place-order').isDisabled());
      await shot(page, '09-desktop-service-unavailable');

      await context.unroute('**/api/**');
      await page.getByText('No orders yet').waitFor({ timeout: 20_000 });
      await banner.waitFor({ state: 'detached', timeout: 20_000 });
      await page.getByText('You have no account yet').waitFor();
      assert.ok(await page.getByTestId('place-order').isEnabled());
    });
  });

  it('back online, the page asks again at once instead of waiting out its backoff', async () => {
    await asVisitor(browser, async ({ context, page }) => {
      // Down, with a wait of two minutes asked for: the reads' own timers would not ask again sooner.
      await context.route('**/api/**', (route) =>
        route.fulfill({
          status: 503,
          headers: { 'Retry-After': '120' },
          contentType: 'application/problem+json',
          body: JSON.stringify({ type: '/problems/unavailable', title: 'Service Unavailable', status: 503 }),
        }),
      );
      await page.reload();
      const banner = page.getByTestId('unavailable');
      await banner.waitFor();
      await context.setOffline(true);
      await context.unroute('**/api/**');
      await context.setOffline(false);
      await banner.waitFor({ state: 'detached', timeout: 10_000 });
      await page.getByText('You have no account yet').waitFor();
      assert.ok(await page.getByTestId('place-order').isEnabled());
    });
  });

  it('a balance beyond 2^53 kopecks is shown exactly', async () => {
    await asVisitor(browser, async ({ context, page }) => {
      await createAccount(page);
      const uid = await page.locator('[data-user-id]').getAttribute('data-user-id');
      // Raw JSON text: JSON.parse would round 9007199254740993 to ...992.
      await context.route('**/api/accounts/me', (route) =>
        route.fulfill({
          contentType: 'application/json',
          body: `{"userId":"${uid}","balance":9007199254740993,"createdAt":"2026-12-01T07:00:00Z","updatedAt":"2026-12-01T07:00:00Z"}`,
        }),
      );
      await context.route('**/api/accounts/me/entries**', (route) =>
        route.fulfill({
          contentType: 'application/json',
          body: `{"items":[{"id":"e1","kind":"deposit","amount":1000000000000,"orderId":null,"balanceAfter":9007199254740993,"createdAt":"2026-12-01T07:00:00Z"}],"next":null}`,
        }),
      );
      await page.reload();
      await waitBalance(page, '90 071 992 547 409.93 ₽');
      assert.match(norm(await page.getByTestId('entries').textContent()), /→90071992547409\.93₽/);
    });
  });

  it('a guest is told, before signing up, that the guest’s orders stay with the guest session', async () => {
    await asVisitor(browser, async ({ page }) => {
      await page.getByRole('button', { name: 'Sign in / Sign up' }).click();
      await page.getByRole('group', { name: 'Sign in or sign up' }).getByRole('button', { name: 'Sign up' }).click();
      const note = page.getByTestId('guest-note');
      assert.match(await note.textContent(), /Your guest orders stay with this guest session\..*not moved to the new login/);
      assert.equal(
        await page.locator('form.auth button[type=submit]').getAttribute('aria-describedby'),
        await note.getAttribute('id'),
      );
      await shot(page, '12-desktop-sign-up-guest-note');
    });
  });

  it('all text meets WCAG AA contrast', async () => {
    await asVisitor(browser, async ({ page }) => {
      await createAccount(page);
      const { id, item } = await placeOrder(page, '5000.01'); // more than the balance: cancelled, with a reason
      await waitStatus(page, id, 'Cancelled');
      await item.locator('.order-row').click();
      await openDetails(page, id).waitFor();
      await page.locator('details.ledger summary').click();
      const main = await contrastReport(page);
      await page.getByRole('button', { name: 'Sign in / Sign up' }).click();
      await page.getByRole('group', { name: 'Sign in or sign up' }).getByRole('button', { name: 'Sign up' }).click();
      const dialog = await contrastReport(page);
      console.log(`lowest contrast: page ${main.min}:1, sign-up dialog ${dialog.min}:1`);
      assert.deepEqual([...main.failures, ...dialog.failures], []);
    });
  });

  it('a second top-up of the same amount a moment after the first adds money again', async () => {
    await asVisitor(browser, async ({ page }) => {
      await createAccount(page, '100');
      for (const expected of ['110.00 ₽', '120.00 ₽']) {
        await page.getByLabel('Top up, ₽').fill('10');
        await page.getByTestId('top-up').click();
        await waitBalance(page, expected);
        await page.locator('[data-testid=top-up]:not([disabled])').waitFor();
        await page.waitForTimeout(700); // a deliberate second click, past a double click's span
      }
      const r = await api(page, '/api/accounts/me/entries?limit=10');
      assert.equal(r.body.items.filter((e) => e.kind === 'deposit' && e.amount === 1000).length, 2);
    });
  });

  it('a read refused with 429 is retried by itself once Retry-After has passed', async () => {
    await asVisitor(browser, async ({ context, page }) => {
      await createAccount(page);
      let refused = 0;
      await context.route('**/api/accounts/me', (route) => {
        if (route.request().method() !== 'GET' || refused >= 2) return route.continue();
        refused++;
        return route.fulfill({
          status: 429,
          headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '1' },
          body: JSON.stringify({ type: '/problems/too-many-requests', title: 'Too Many Requests', status: 429, detail: 'Slow down' }),
        });
      });
      await page.reload();
      await page.getByText('Too many requests right now; retrying…').first().waitFor();
      // No click: the page tries again by itself, as it says.
      await waitBalance(page, '5 000.00 ₽');
      assert.equal(refused, 2);
    });
  });

  it('signing out in one tab signs the other tabs out too', async () => {
    await asVisitor(browser, async ({ context, page }) => {
      await page.getByRole('button', { name: 'Sign in / Sign up' }).click();
      await page.getByRole('group', { name: 'Sign in or sign up' }).getByRole('button', { name: 'Sign up' }).click();
      const username = uniq('tabs').replace(/[^a-z0-9]/gi, '').slice(0, 20);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill('password-of-tabs');
      await page.locator('form.auth button[type=submit]').click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      const other = await context.newPage();
      await other.goto(`${BASE}/`);
      await other.getByText(username).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in / Sign up' }).waitFor();
      await other.getByRole('button', { name: 'Sign in / Sign up' }).waitFor();
      assert.equal(await other.getByText(username).count(), 0);
      assert.equal(await userId(other), await userId(page));
      await other.close();
    });
  });

  it('a balance of thirteen digits fits a phone screen without sideways scrolling', async () => {
    await asVisitor(
      browser,
      async ({ page }) => {
        await createAccount(page, '10000000000');
        await waitBalance(page, '10 000 000 000.00 ₽');
        const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth }));
        assert.ok(widths.page <= widths.screen, JSON.stringify(widths));
        await shot(page, '13-phone-large-balance');
      },
      PHONE,
    );
  });

  it('the API docs page renders under its Content-Security-Policy', async () => {
    // The policy runs the gateway's own scripts only; a violation is reported on the console, which
    // asVisitor counts as an error of the page.
    await asVisitor(browser, async ({ page }) => {
      const answer = await page.goto(`${BASE}/api/docs`);
      assert.match(answer.headers()['content-security-policy'] ?? '', /script-src 'self'/);
      await page.locator('.opblock').first().waitFor();
      assert.ok((await page.locator('.opblock').count()) >= 10);
    });
  });
});
