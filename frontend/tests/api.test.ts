import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, IdempotentSubmission } from '../src/api';
import { reasonText } from '../src/format';
import { hops } from '../src/state/timeline';
import { isExpired } from '../src/session';

type Call = { url: string; init: RequestInit };

function fakeFetch(responses: Array<Response | Error | ((c: Call) => Response)>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    const c = { url: String(url), init: init ?? {} };
    calls.push(c);
    const r = responses.shift();
    if (!r) throw new Error('no more responses');
    if (r instanceof Error) throw r;
    return typeof r === 'function' ? r(c) : r;
  });
  return { fetch: fn as unknown as typeof fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const problem = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json', ...headers } });
const hdr = (c: Call, name: string) => (c.init.headers as Record<string, string>)[name];

const order = {
  id: '11111111-1111-4111-8111-111111111111',
  userId: 'u',
  amount: 12345,
  description: 'Tea',
  status: 'Created',
  failureReason: null,
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-01T00:00:00Z',
  timeline: [{ step: 'created', at: '2025-01-01T00:00:00Z' }],
};

describe('ApiClient', () => {
  it('attaches the bearer token and sends JSON', async () => {
    const f = fakeFetch([json(202, order)]);
    const api = new ApiClient({ fetch: f.fetch, getToken: () => 'tok' });
    const o = await api.createOrder(12345, 'Tea', 'key-1');
    expect(o.id).toBe(order.id);
    const c = f.calls[0]!;
    expect(c.url).toBe('/api/orders');
    expect(c.init.method).toBe('POST');
    expect(hdr(c, 'Authorization')).toBe('Bearer tok');
    expect(hdr(c, 'Content-Type')).toBe('application/json');
    expect(hdr(c, 'Idempotency-Key')).toBe('key-1');
    expect(JSON.parse(String(c.init.body))).toEqual({ amount: 12345, description: 'Tea' });
  });

  it('adds a fresh Idempotency-Key to every POST, none to GETs', async () => {
    const f = fakeFetch([json(201, { userId: 'u', balance: 0 }), json(200, { balance: 1, entryId: 'e' }), json(200, { items: [], next: null })]);
    const api = new ApiClient({ fetch: f.fetch, getToken: () => 't' });
    await api.createAccount();
    await api.deposit(100);
    await api.orders(10, 'cursor');
    const [a, b, g] = f.calls;
    expect(hdr(a!, 'Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/);
    expect(hdr(b!, 'Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/);
    expect(hdr(a!, 'Idempotency-Key')).not.toBe(hdr(b!, 'Idempotency-Key'));
    expect(a!.init.body).toBeUndefined(); // POST /api/accounts has no body
    expect(hdr(a!, 'Content-Type')).toBeUndefined();
    expect(hdr(g!, 'Idempotency-Key')).toBeUndefined();
    expect(g!.url).toBe('/api/orders?limit=10&before=cursor');
  });

  it('turns problem+json into an ApiError with detail and field errors', async () => {
    const f = fakeFetch([
      problem(422, {
        type: 'https://kpo/validation',
        title: 'Unprocessable Entity',
        status: 422,
        detail: 'The request is invalid',
        errors: { amount: 'must be at least 1' },
      }),
    ]);
    const api = new ApiClient({ fetch: f.fetch, getToken: () => 't' });
    const e = await api.createOrder(0, 'x').catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(422);
    expect(e.detail).toBe('The request is invalid');
    expect(e.field('amount')).toBe('must be at least 1');
    expect(e.title).toBe('Unprocessable Entity');
  });

  it('gives a readable detail when the body is not a problem', async () => {
    const f = fakeFetch([new Response('<html>bad gateway</html>', { status: 502 }), new TypeError('Failed to fetch')]);
    const api = new ApiClient({ fetch: f.fetch, getToken: () => 't' });
    const e1 = await api.myAccount().catch((x) => x);
    expect(e1.status).toBe(502);
    expect(e1.detail).toMatch(/server/);
    const e2 = await api.myAccount().catch((x) => x);
    expect(e2.status).toBe(0);
    expect(e2.detail).toMatch(/connection/);
  });

  it('reads Retry-After on 429', async () => {
    const f = fakeFetch([problem(429, { title: 'Too Many Requests', status: 429 }, { 'Retry-After': '3' })]);
    const api = new ApiClient({ fetch: f.fetch, getToken: () => 't' });
    const e = await api.orders().catch((x) => x);
    expect(e.retryAfter).toBe(3);
    expect(e.detail).toBe('Too Many Requests');
  });

  it('renews the session once on 401 and retries with the same Idempotency-Key', async () => {
    let token = 'old';
    const f = fakeFetch([problem(401, { status: 401, detail: 'expired' }), json(202, order)]);
    const onUnauthorized = vi.fn(async () => {
      token = 'new';
      return true;
    });
    const api = new ApiClient({ fetch: f.fetch, getToken: () => token, onUnauthorized });
    await api.createOrder(12345, 'Tea');
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(hdr(f.calls[0]!, 'Authorization')).toBe('Bearer old');
    expect(hdr(f.calls[1]!, 'Authorization')).toBe('Bearer new');
    expect(hdr(f.calls[0]!, 'Idempotency-Key')).toBe(hdr(f.calls[1]!, 'Idempotency-Key'));
  });

  it('does not loop on 401 and does not renew for auth calls', async () => {
    const f = fakeFetch([problem(401, { detail: 'no' }), problem(401, { detail: 'still no' }), problem(401, { detail: 'Invalid username or password' })]);
    const onUnauthorized = vi.fn(async () => true);
    const api = new ApiClient({ fetch: f.fetch, getToken: () => 't', onUnauthorized });
    const e = await api.orders().catch((x) => x);
    expect(e.status).toBe(401);
    expect(e.detail).toBe('still no');
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    const e2 = await api.login('a', 'b').catch((x) => x);
    expect(e2.detail).toBe('Invalid username or password');
    expect(hdr(f.calls[2]!, 'Authorization')).toBeUndefined();
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('gives up when the renewal fails', async () => {
    const f = fakeFetch([problem(401, { detail: 'expired' })]);
    const api = new ApiClient({ fetch: f.fetch, getToken: () => 't', onUnauthorized: async () => false });
    const e = await api.orders().catch((x) => x);
    expect(e.status).toBe(401);
    expect(f.calls).toHaveLength(1);
  });

  it('builds the events URL with the token in the query', () => {
    const api = new ApiClient({ fetch: fakeFetch([]).fetch, getToken: () => 'a.b.c' });
    expect(api.eventsUrl()).toBe('/api/events?access_token=a.b.c');
    expect(api.eventsUrl('42')).toBe('/api/events?access_token=a.b.c&lastEventId=42');
  });

  it('keeps a balance beyond 2^53 exact', async () => {
    const body = '{"userId":"u","balance":9007199254740993,"createdAt":"2026-12-01T07:00:00Z","updatedAt":"2026-12-01T07:00:00Z"}';
    const f = fakeFetch([new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } })]);
    const api = new ApiClient({ fetch: f.fetch, getToken: () => 't' });
    const acc = await api.myAccount();
    expect(acc.balance).toBe(9007199254740993n);
  });

  it('reads Retry-After of a 503 that refuses a new order', async () => {
    const f = fakeFetch([problem(503, { type: '/problems/unavailable', title: 'Service Unavailable', status: 503 }, { 'Retry-After': '5' })]);
    const api = new ApiClient({ fetch: f.fetch, getToken: () => 't' });
    const e = await api.createOrder(100, 'x').catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(503);
    expect(e.retryAfter).toBe(5);
  });

  it('uses a base URL and encodes ids', async () => {
    const f = fakeFetch([json(200, order)]);
    const api = new ApiClient({ baseUrl: 'http://x:3000/', fetch: f.fetch, getToken: () => null });
    await api.order('a/b');
    expect(f.calls[0]!.url).toBe('http://x:3000/api/orders/a%2Fb');
    expect(hdr(f.calls[0]!, 'Authorization')).toBeUndefined();
  });
});

describe('IdempotentSubmission', () => {
  it('reuses the key for the same body, and after success only within the grace period', () => {
    let now = 1_000;
    const s = new IdempotentSubmission(3000, () => now);
    const k1 = s.keyFor({ amount: 1, description: 'a' });
    expect(s.keyFor({ amount: 1, description: 'a' })).toBe(k1); // retry / double click
    const k2 = s.keyFor({ amount: 2, description: 'a' }); // edited → new submission
    expect(k2).not.toBe(k1);
    s.done();
    now += 10;
    expect(s.keyFor({ amount: 2, description: 'a' })).toBe(k2); // a late second click → replay
    now += 3000;
    expect(s.keyFor({ amount: 2, description: 'a' })).not.toBe(k2); // later → a new order
  });

  it('by default a deliberate second submission a second after the first is a new one', () => {
    let now = 1_000;
    const s = new IdempotentSubmission(undefined, () => now);
    const k1 = s.keyFor({ amount: 700 });
    s.done();
    now += 200;
    expect(s.keyFor({ amount: 700 })).toBe(k1); // within a double click's span: a replay
    s.done();
    now += 1000;
    expect(s.keyFor({ amount: 700 })).not.toBe(k1); // a second top-up of the same amount
  });

  it('takes a new key after a refusal, and keeps it when the outcome is unknown', () => {
    const s = new IdempotentSubmission();
    const body = { amount: 500 };
    const k1 = s.keyFor(body);
    s.failed(new Error('network'));
    expect(s.keyFor(body)).toBe(k1); // may have been applied: a retry must replay
    s.failed(new ApiError({ status: 503 }));
    expect(s.keyFor(body)).toBe(k1);
    s.failed(new ApiError({ status: 409, detail: 'still being processed' }));
    expect(s.keyFor(body)).toBe(k1);
    s.failed(new ApiError({ status: 404, detail: 'No account' }));
    expect(s.keyFor(body)).not.toBe(k1); // refused and stored: a new submission
  });
});

describe('helpers', () => {
  it('hops measures milliseconds between timeline steps', () => {
    expect(
      hops([
        { step: 'created', at: '2025-01-01T00:00:00.000Z' },
        { step: 'published', at: '2025-01-01T00:00:00.025Z' },
        { step: 'payment_succeeded', at: '2025-01-01T00:00:00.100Z' },
        { step: 'finished', at: '2025-01-01T00:00:01.100Z' },
      ]),
    ).toEqual([
      { from: 'created', to: 'published', ms: 25 },
      { from: 'published', to: 'payment_succeeded', ms: 75 },
      { from: 'payment_succeeded', to: 'finished', ms: 1000 },
    ]);
  });
  it('reasonText speaks plainly', () => {
    expect(reasonText(null)).toBeNull();
    expect(reasonText('insufficient_funds')).toMatch(/Not enough money/);
    expect(reasonText('account_not_found')).toMatch(/No account/);
  });
  it('isExpired', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(isExpired({ token: 't', userId: 'u', kind: 'guest', expiresAt: '2025-01-01T00:00:30Z' }, now)).toBe(true);
    expect(isExpired({ token: 't', userId: 'u', kind: 'guest', expiresAt: '2025-01-01T01:00:00Z' }, now)).toBe(false);
  });
});
