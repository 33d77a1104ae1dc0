// End-to-end tests of the web UI against the whole running system at http://localhost:3000.
// Run: node --test --test-concurrency=1 e2e/*.test.mjs   (scripts/frontend.sh: frontend_e2e_tests)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  asVisitor,
  PHONE,
  api,
  balanceText,
  createAccount,
  fillOrder,
  launch,
  norm,
  orderItem,
  placeOrder,
  recordStatuses,
  seenStatuses,
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

describe('web UI', { timeout: 240_000 }, () => {
  it('the seed scenario: guest session, create account with 5 000.00 ₽, place an order, see it finish live', async () => {
    await asVisitor(browser, async ({ page }) => {
      assert.match(await page.locator('[data-user-id]').textContent(), /Guest/);
      await page.getByText('You have no account yet').waitFor();
      await shot(page, '01-desktop-new-guest');

      // The default top-up is 5 000.00 ₽.
      assert.equal(norm(await page.getByLabel('Initial top-up, ₽').inputValue()), '5000.00');
      // The order form comes prefilled with a random amount and a description.
      assert.match(norm(await page.getByLabel('Amount, ₽').inputValue()), /^\d+\.\d\d$/);
      assert.ok((await page.getByLabel('Description').inputValue()).length > 0);

      await createAccount(page);
      await waitBalance(page, '5 000.00 ₽');
      await page.locator('.conn.live').waitFor({ timeout: 15_000 });

      await recordStatuses(page);
      const { id, item } = await placeOrder(page, '1 234,56');
      assert.ok(id, 'the new order is listed with its id');
      assert.match(norm(await item.textContent()), /1234\.56₽/);
      await waitStatus(page, id, 'Finished');
      const seen = await seenStatuses(page, id);
      assert.deepEqual(seen, ['Created', 'Finished'], `statuses shown: ${seen.join(' → ')}`);
      await waitBalance(page, '3 765.44 ₽');

      // Order details: the hop-by-hop timeline with milliseconds, drawn as a chart.
      await item.locator('.order-row').click();
      const tl = item.getByTestId('timeline');
      // The "published" step may be recorded just after the order finished; the open details fetch it.
      await tl.locator('.tl-step.published').waitFor();
      assert.equal(await tl.locator('.tl-stack .tl-seg').count(), 3);
      const steps = await tl.locator('.tl-step .tl-name').allTextContents();
      assert.deepEqual(steps, ['Created', 'Published', 'Paid', 'Finished']);
      assert.match(await tl.textContent(), /\+\s?[\d\u202f]+\s?ms/);
      // The ledger shows the deposit and the charge for this order.
      const ledger = page.getByTestId('entries');
      await ledger.locator('li.entry.charge', { hasText: id.slice(-8) }).waitFor();
      await ledger.locator('li.entry.deposit').first().waitFor();
      await shot(page, '02-desktop-order-finished');
    });
  });

  it('an order larger than the balance is cancelled and the reason is shown', async () => {
    await asVisitor(browser, async ({ page }) => {
      await createAccount(page, '100');
      await waitBalance(page, '100.00 ₽');
      const { id, item } = await placeOrder(page, '100.01');
      await waitStatus(page, id, 'Cancelled');
      assert.match(await item.getByTestId('reason').textContent(), /Not enough money/);
      assert.equal(await item.locator('.badge').textContent(), 'Cancelled');
      assert.equal(await balanceText(page), norm('100.00 ₽'));
      const r = await api(page, `/api/orders/${id}`);
      assert.equal(r.body.failureReason, 'insufficient_funds');
      await shot(page, '03-desktop-order-cancelled');
    });
  });

  it('a double-clicked "Place order" creates one order', async () => {
    await asVisitor(browser, async ({ page }) => {
      await createAccount(page);
      // A real double click.
      const d1 = await fillOrder(page, '10.00', uniq('double click'));
      await page.getByTestId('place-order').dblclick();
      await orderItem(page, d1).waitFor();
      // The second click of a double click can land after the first one's order was answered and the
      // form is ready again (a fast server, a busy browser), holding what the visitor typed meanwhile:
      // it must place nothing. What is placed next is only what a click of its own sends.
      await page.waitForFunction(
        (sent) => {
          const field = document.getElementById('order-description');
          const button = document.querySelector('[data-testid=place-order]');
          return field && field.value !== sent && button && !button.disabled;
        },
        d1,
      );
      const typedNext = await fillOrder(page, '11.00', uniq('typed next'));
      await page.evaluate(() => {
        const late = new MouseEvent('click', { bubbles: true, cancelable: true, detail: 2 });
        document.querySelector('[data-testid=place-order]').dispatchEvent(late);
      });
      // Had the late click sent `typedNext`, this click would find the form busy or emptied, and
      // `placedNext` would never appear; and `typedNext` would be in the list below.
      const placedNext = await fillOrder(page, '12.00', uniq('placed next'));
      await page.getByTestId('place-order').click();
      await orderItem(page, placedNext).waitFor();
      // Two clicks in the same task, before the button can re-render as disabled. The list may show
      // the first order (a live event) before its POST has answered: wait for the button to be back.
      const d2 = await fillOrder(page, '20.00', uniq('double submit'));
      await page.locator('[data-testid=place-order]:not([disabled])').waitFor();
      await page.evaluate(() => {
        const b = document.querySelector('[data-testid=place-order]');
        b.click();
        b.click();
      });
      await orderItem(page, d2).waitFor();
      const id1 = await orderItem(page, d1).getAttribute('data-order-id');
      const id2 = await orderItem(page, d2).getAttribute('data-order-id');
      await waitStatus(page, id1, 'Finished');
      await waitStatus(page, id2, 'Finished');
      const r = await api(page, '/api/orders?limit=100');
      assert.equal(r.status, 200);
      assert.equal(r.body.items.filter((o) => o.description === d1).length, 1);
      assert.equal(r.body.items.filter((o) => o.description === d2).length, 1);
      assert.equal(r.body.items.filter((o) => o.description === typedNext).length, 0);
      assert.equal(r.body.items.filter((o) => o.description === placedNext).length, 1);
      assert.equal(r.body.items.length, 3);
      assert.equal(await page.locator('li.order').count(), 3);
      await waitBalance(page, '4 958.00 ₽');
    });
  });

  it('Enter pressed again once the order is placed submits nothing the visitor did not choose', async () => {
    await asVisitor(browser, async ({ page }) => {
      await createAccount(page);
      const sent = await fillOrder(page, '10.00', uniq('enter twice'));
      await page.getByLabel('Description').press('Enter');
      await orderItem(page, sent).waitFor();
      // Placed and answered: the form is empty again (a new example only as placeholders), ready.
      await page.locator('[data-testid=place-order]:not([disabled])').waitFor();
      assert.equal(await page.getByLabel('Description').inputValue(), '');
      assert.equal(await page.getByLabel('Amount, ₽').inputValue(), '');
      assert.match((await page.getByLabel('Description').getAttribute('placeholder')) ?? '', /^e\.g\. /);
      // Confirmed beside the button (on a phone the list is out of view).
      assert.match(await page.getByTestId('order-placed').textContent(), new RegExp(`^Placed: ${sent}, 10\\.00`));
      // The second Enter of a double press (or a second click) lands now: it is refused as empty.
      await page.getByLabel('Description').press('Enter');
      await page.locator('#order-description-err').waitFor();
      assert.match(await page.locator('#order-description-err').textContent(), /Describe the order/);
      const r = await api(page, '/api/orders?limit=100');
      assert.deepEqual(
        r.body.items.map((o) => o.description),
        [sent],
      );
    });
  });

  it('what the visitor types while an order is being placed stays in the form', async () => {
    await asVisitor(browser, async ({ context, page }) => {
      await createAccount(page);
      // Each POST is held until the test lets it go: without the hold the answer may come first.
      let onHeld = () => {};
      let release = () => {};
      await context.route('**/api/orders', async (route) => {
        if (route.request().method() === 'POST') {
          const gate = new Promise((resolve) => (release = resolve));
          onHeld();
          await gate;
        }
        await route.continue();
      });
      const placeWhileTyping = async (type) => {
        const held = new Promise((resolve) => (onHeld = resolve));
        await page.getByTestId('place-order').click();
        await held;
        await page.locator('[data-testid=place-order][disabled]').waitFor();
        await type();
        release();
        await page.locator('[data-testid=place-order]:not([disabled])').waitFor();
      };
      const first = await fillOrder(page, '10.00', uniq('placed first'));
      let typed = '';
      await placeWhileTyping(async () => {
        typed = await fillOrder(page, '20.00', uniq('typed meanwhile'));
      });
      await orderItem(page, first).waitFor();
      assert.equal(await page.getByLabel('Description').inputValue(), typed);
      assert.equal(await page.getByLabel('Amount, ₽').inputValue(), '20.00');
      // Only the description changed meanwhile: the amount sent stays too, never a random one.
      let retyped = '';
      await placeWhileTyping(async () => {
        retyped = uniq('only the description');
        await page.getByLabel('Description').fill(retyped);
      });
      await orderItem(page, typed).waitFor();
      assert.equal(await page.getByLabel('Description').inputValue(), retyped);
      assert.equal(await page.getByLabel('Amount, ₽').inputValue(), '20.00');
      await context.unroute('**/api/orders');
    });
  });

  it('two users never see each other’s orders', async () => {
    await asVisitor(browser, (a) =>
      asVisitor(browser, async (b) => {
        const ua = await userId(a.page);
        const ub = await userId(b.page);
        assert.notEqual(ua, ub);
        await createAccount(a.page);
        await createAccount(b.page);
        const oa = await placeOrder(a.page, '11.00', uniq('user A'));
        const ob = await placeOrder(b.page, '22.00', uniq('user B'));
        await waitStatus(a.page, oa.id, 'Finished');
        await waitStatus(b.page, ob.id, 'Finished');
        // Give any stray live event time to arrive.
        await a.page.waitForTimeout(1500);
        assert.equal(await a.page.locator('li.order').count(), 1);
        assert.equal(await b.page.locator('li.order').count(), 1);
        assert.equal(await orderItem(a.page, ob.description).count(), 0);
        assert.equal(await orderItem(b.page, oa.description).count(), 0);
        // The API agrees: B's list lacks A's order and A's order id is 404 for B, like a missing one.
        const listB = await api(b.page, '/api/orders?limit=100');
        assert.deepEqual(listB.body.items.map((o) => o.id), [ob.id]);
        assert.equal((await api(b.page, `/api/orders/${oa.id}`)).status, 404);
        assert.equal((await api(a.page, `/api/orders/${ob.id}`)).status, 404);
        await waitBalance(a.page, '4 989.00 ₽');
        await waitBalance(b.page, '4 978.00 ₽');
      }),
    );
  });

  it('a reload keeps the session, the account and the orders (phone width)', async () => {
    await asVisitor(browser, async ({ page }) => {
      await shot(page, '04-phone-new-guest');
      await createAccount(page);
      const { id } = await placeOrder(page, '500');
      await waitStatus(page, id, 'Finished');
      await waitBalance(page, '4 500.00 ₽');
      const before = await userId(page);
      // No horizontal scrolling at phone width.
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
      await page.locator(`li.order[data-order-id="${id}"] .order-row`).click();
      await page.getByTestId('timeline').waitFor();
      await shot(page, '05-phone-order-details');

      await page.reload();
      await page.locator('[data-user-id]').waitFor();
      assert.equal(await userId(page), before);
      await waitStatus(page, id, 'Finished');
      await waitBalance(page, '4 500.00 ₽');
      await page.locator('.conn.live').waitFor({ timeout: 15_000 });
      await shot(page, '06-phone-after-reload');
    }, PHONE);
  });

  it('lists orders newest first, ten at a time, with "Show older orders"', async () => {
    await asVisitor(browser, async ({ page }) => {
      await createAccount(page);
      const post = (body) =>
        api(page, '/api/orders', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
          body: JSON.stringify(body),
        });
      for (let i = 1; i <= 12; i++) {
        const r = await post({ amount: 100 * i, description: `paged order ${String(i).padStart(2, '0')}` });
        assert.equal(r.status, 202);
      }
      await page.reload();
      await page.locator('li.order').nth(9).waitFor();
      assert.equal(await page.locator('li.order').count(), 10);
      const more = page.getByRole('button', { name: 'Show older orders' });
      await more.click();
      await page.locator('li.order').nth(11).waitFor();
      await more.waitFor({ state: 'detached' });
      const descs = await page.locator('li.order .order-desc').allTextContents();
      assert.deepEqual(descs, Array.from({ length: 12 }, (_, i) => `paged order ${String(12 - i).padStart(2, '0')}`));
    });
  });

  it('falls back to polling when the live stream is cut, and goes live again', async () => {
    await asVisitor(browser, async ({ context, page }) => {
      await createAccount(page);
      await page.locator('.conn.live').waitFor({ timeout: 15_000 });
      // Cut the event stream (as a broken proxy would): every connection to it fails, then reload.
      await context.route('**/api/events**', (route) => route.abort('connectionreset'));
      await page.reload();
      await page.locator('.conn.polling').waitFor({ timeout: 15_000 });
      const { id } = await placeOrder(page, '42.00');
      await waitStatus(page, id, 'Finished');
      await waitBalance(page, '4 958.00 ₽');
      await shot(page, '08-desktop-polling-fallback');
      await context.unroute('**/api/events**');
      await page.locator('.conn.live').waitFor({ timeout: 20_000 });
      // The browser goes offline: the page no longer claims "Live" (an open stream shows no error
      // until a heartbeat is missed), and back online it is live again.
      await context.setOffline(true);
      await page.locator('.conn.polling').waitFor({ timeout: 5_000 });
      await context.setOffline(false);
      await page.locator('.conn.live').waitFor({ timeout: 10_000 });
    });
  });

  it('a finished order listed without its "published" step shows the step once its details are opened', async () => {
    await asVisitor(browser, async ({ context, page }) => {
      await createAccount(page);
      const { id } = await placeOrder(page, '7.00');
      await waitStatus(page, id, 'Finished');
      // The relay records "published" after the broker's confirm, so a list can race ahead of it. Make every
      // list answer look like that race, then reload: only a fetch of the order itself can complete it.
      await context.route('**/api/orders?**', async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        for (const o of body.items) o.timeline = o.timeline.filter((s) => s.step !== 'published');
        await route.fulfill({ response, json: body });
      });
      await page.reload();
      await waitStatus(page, id, 'Finished');
      await page.locator(`li.order[data-order-id="${id}"] .order-row`).click();
      const tl = page.getByTestId('timeline');
      await tl.locator('.tl-step.published').waitFor();
      const steps = await tl.locator('.tl-step .tl-name').allTextContents();
      assert.deepEqual(steps, ['Created', 'Published', 'Paid', 'Finished']);
      await context.unroute('**/api/orders?**');
    });
  });

  it('shows problem details next to the fields; sign in, sign up and sign out', async () => {
    await asVisitor(browser, async ({ page }) => {
      // Client-side validation of money input, next to the field.
      await fillOrder(page, '12.345');
      await page.getByTestId('place-order').click();
      await page.locator('#order-amount-err').waitFor();
      assert.match(await page.locator('#order-amount-err').textContent(), /two digits/);
      assert.equal(await page.getByLabel('Amount, ₽').getAttribute('aria-invalid'), 'true');
      // The sign-in dialog: focus moves into it, a wrong password shows the server's detail.
      await page.getByRole('button', { name: 'Sign in / Sign up' }).click();
      const user = page.getByLabel('Username');
      await user.waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'auth-username');
      // Empty fields are named next to them, and nothing is sent.
      let logins = 0;
      page.on('request', (r) => void (r.url().endsWith('/api/auth/login') && logins++));
      await page.locator('form.auth button[type=submit]').click();
      await page.locator('#auth-username-err').waitFor();
      assert.match(await page.locator('#auth-username-err').textContent(), /Enter a username/);
      assert.match(await page.locator('#auth-password-err').textContent(), /Enter a password/);
      assert.equal(logins, 0);
      await user.fill(uniq('nobody').replace(/\s/g, '_'));
      await page.getByLabel('Password').fill('wrong-password-1');
      await page.locator('form.auth button[type=submit]').click();
      await page.locator('form.auth .error, form.auth .field-error').first().waitFor();
      await shot(page, '07-desktop-sign-in-error');
      // Sign up: the rules are shown before anything is sent, and the server's validation message
      // appears next to the password field, as a sentence about it.
      await page.getByRole('group', { name: 'Sign in or sign up' }).getByRole('button', { name: 'Sign up' }).click();
      assert.equal(await page.locator('#auth-password-hint').textContent(), '8 to 128 characters');
      assert.equal(await page.getByLabel('Password').getAttribute('aria-describedby'), 'auth-password-hint');
      const name = `e2e_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
      await user.fill(name);
      await page.getByLabel('Password').fill('short');
      await page.locator('form.auth button[type=submit]').click();
      await page.locator('#auth-password-err').waitFor();
      assert.match(await page.locator('#auth-password-err').textContent(), /^Password must be 8 /);
      await page.getByLabel('Password').fill('long enough password');
      await page.locator('form.auth button[type=submit]').click();
      await page.locator('form.auth').waitFor({ state: 'detached' });
      assert.equal(norm(await page.locator('[data-user-id]').textContent()), name);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.locator('[data-user-id]', { hasText: 'Guest' }).waitFor();
      // Escape closes the dialog.
      await page.getByRole('button', { name: 'Sign in / Sign up' }).click();
      await page.locator('form.auth').waitFor();
      await page.keyboard.press('Escape');
      await page.locator('form.auth').waitFor({ state: 'detached' });
      // A live region exists for status announcements.
      assert.equal(await page.getByTestId('live-region').getAttribute('aria-live'), 'polite');
    });
  });
});

