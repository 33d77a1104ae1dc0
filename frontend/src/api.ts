// A small typed client for the KPO 4 public API (see docs/architecture.md). It attaches the bearer token,
// adds an Idempotency-Key to every POST, turns RFC 7807 problems into ApiError and, when a guest's
// token is rejected, gets a new session once and retries.
import { parseJson } from './json';
import type { Account, AuthResponse, DepositResponse, LedgerEntry, Order, Page } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  /** Field → message, for validation problems (422). */
  readonly errors: Record<string, string>;
  readonly retryAfter: number | null;

  constructor(init: {
    status: number;
    title?: string;
    detail?: string;
    type?: string;
    errors?: Record<string, string>;
    retryAfter?: number | null;
  }) {
    const detail = init.detail || init.title || defaultDetail(init.status);
    super(detail);
    this.name = 'ApiError';
    this.status = init.status;
    this.title = init.title || '';
    this.detail = detail;
    this.type = init.type || 'about:blank';
    this.errors = init.errors || {};
    this.retryAfter = init.retryAfter ?? null;
  }

  /** The message for one field, if the server named it. */
  field(name: string): string | undefined {
    return this.errors[name];
  }
}

function defaultDetail(status: number): string {
  switch (status) {
    case 0:
      return 'Cannot reach the server — check your connection and try again.';
    case 401:
      return 'Your session has expired. Please sign in again.';
    case 404:
      return 'Not found.';
    case 409:
      return 'This request is already being processed.';
    case 413:
      return 'The request is too large.';
    case 429:
      return 'Too many requests — please wait a moment and try again.';
    default:
      return status >= 500 ? 'The server had a problem — please try again.' : `Request failed (HTTP ${status}).`;
  }
}

export function newKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Remembers the Idempotency-Key of one form's submission: submitting the same body again (a retry after
 * an error, a double click) reuses the key so the server replays instead of acting twice; a changed
 * body gets a fresh key. After a success the key is kept for a short grace period: a second click that
 * lands after a fast server already answered (before the form re-rendered) is a replay, not a new order.
 * The period is half a second, a double click's span: a deliberate second top-up or order of the same
 * amount a moment later is a new one (with 3 s it was answered as a replay and silently did nothing).
 */
export class IdempotentSubmission {
  private body: string | null = null;
  private key: string | null = null;
  private doneAt: number | null = null;

  constructor(
    private readonly graceMs = 500,
    private readonly now: () => number = () => Date.now(),
  ) {}

  keyFor(body: unknown): string {
    const text = JSON.stringify(body);
    const expired = this.doneAt !== null && this.now() - this.doneAt >= this.graceMs;
    if (this.key === null || this.body !== text || expired) {
      this.body = text;
      this.key = newKey();
      this.doneAt = null;
    }
    return this.key;
  }

  /** Call after a success: once the grace period is over, the next submission is a new one. */
  done(): void {
    if (this.doneAt === null) this.doneAt = this.now();
  }

  /**
   * Call after an error. A refusal the server decided (a 4xx other than 408, 409 "still running" and
   * 429) changed nothing and is stored under the key, so submitting again under it would only replay
   * it: the next submission gets a new key. After any other error the outcome is unknown and the key
   * stays, so that a retry cannot act twice.
   */
  failed(error: unknown): void {
    const refused = error instanceof ApiError && error.status >= 400 && error.status < 500;
    if (refused && ![408, 409, 429].includes(error.status)) this.key = null;
  }
}

export interface RequestOptions {
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** Do not try to renew the session on 401 (used by the auth calls themselves). */
  noAuth?: boolean;
}

export interface ClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  getToken: () => string | null;
  /** Called on 401; returns true when a new token is in place and the request may be retried once. */
  onUnauthorized?: (rejectedToken: string | null) => Promise<boolean>;
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly opts: ClientOptions;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.baseUrl = (opts.baseUrl ?? '').replace(/\/$/, '');
    this.fetchImpl = opts.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  }

  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    // The key is fixed before the first attempt so a retry after a renewed session reuses it.
    const key = method === 'POST' ? (o.idempotencyKey ?? newKey()) : undefined;
    let renewed = false;
    for (;;) {
      const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
      const token = o.noAuth ? null : this.opts.getToken();
      if (token) headers['Authorization'] = `Bearer ${token}`;
      if (key) headers['Idempotency-Key'] = key;
      if (o.body !== undefined) headers['Content-Type'] = 'application/json';
      let res: Response;
      try {
        res = await this.fetchImpl(this.baseUrl + path, {
          method,
          headers,
          body: o.body === undefined ? undefined : JSON.stringify(o.body),
          signal: o.signal,
          cache: 'no-store',
        });
      } catch (e) {
        if ((e as Error)?.name === 'AbortError') throw e;
        throw new ApiError({ status: 0 });
      }
      if (res.status === 401 && !o.noAuth && !renewed && this.opts.onUnauthorized) {
        renewed = true;
        if (await this.opts.onUnauthorized(token)) continue;
      }
      if (!res.ok) throw await toApiError(res);
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      // Not JSON.parse: a balance beyond 2^53 must stay exact (json.ts).
      return (text ? parseJson(text) : undefined) as T;
    }
  }

  // identity
  guest(): Promise<AuthResponse> {
    return this.request('POST', '/api/auth/guest', { noAuth: true });
  }
  register(username: string, password: string, key?: string): Promise<AuthResponse> {
    return this.request('POST', '/api/auth/register', { body: { username, password }, noAuth: true, idempotencyKey: key });
  }
  login(username: string, password: string, key?: string): Promise<AuthResponse> {
    return this.request('POST', '/api/auth/login', { body: { username, password }, noAuth: true, idempotencyKey: key });
  }

  // accounts
  createAccount(key?: string): Promise<Account> {
    return this.request('POST', '/api/accounts', { idempotencyKey: key });
  }
  myAccount(): Promise<Account> {
    return this.request('GET', '/api/accounts/me');
  }
  deposit(amount: number, key?: string): Promise<DepositResponse> {
    return this.request('POST', '/api/accounts/me/deposits', { body: { amount }, idempotencyKey: key });
  }
  entries(limit = 20, before?: string | null): Promise<Page<LedgerEntry>> {
    return this.request('GET', `/api/accounts/me/entries${query({ limit, before })}`);
  }

  // orders
  createOrder(amount: number, description: string, key?: string): Promise<Order> {
    return this.request('POST', '/api/orders', { body: { amount, description }, idempotencyKey: key });
  }
  orders(limit = 10, before?: string | null): Promise<Page<Order>> {
    return this.request('GET', `/api/orders${query({ limit, before })}`);
  }
  order(id: string): Promise<Order> {
    return this.request('GET', `/api/orders/${encodeURIComponent(id)}`);
  }

  /** EventSource cannot set headers: the token goes in the query; lastEventId resumes a new stream. */
  eventsUrl(lastEventId?: string | null): string {
    return `${this.baseUrl}/api/events${query({ access_token: this.opts.getToken(), lastEventId })}`;
  }
}

function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function toApiError(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    const text = await res.text();
    if (text) body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = {};
  }
  const errors: Record<string, string> = {};
  if (body.errors && typeof body.errors === 'object') {
    for (const [k, v] of Object.entries(body.errors as Record<string, unknown>)) {
      errors[k] = Array.isArray(v) ? v.map(String).join('; ') : String(v);
    }
  }
  return new ApiError({
    status: res.status,
    title: typeof body.title === 'string' ? body.title : undefined,
    detail: typeof body.detail === 'string' ? body.detail : undefined,
    type: typeof body.type === 'string' ? body.type : undefined,
    errors,
    retryAfter: parseRetryAfter(res.headers.get('Retry-After')),
  });
}

/** Retry-After in whole seconds: delay-seconds ("3") or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - now) / 1000)) : null;
}
