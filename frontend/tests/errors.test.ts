import { describe, expect, it } from 'vitest';
import { ApiError, parseRetryAfter, toApiError } from '../src/api';
import { asSentence, errorShownAfterWait, isRetriedByItself, isUnavailable, loadErrorText, retryDelayMs, submitErrorText, submitWaitSeconds, UNAVAILABLE } from '../src/errors';

const err = (status: number, retryAfter: number | null = null, detail?: string, type?: string) =>
  new ApiError({ status, retryAfter, detail, type });
const overloaded = (retryAfter: number | null) => err(503, retryAfter, undefined, '/problems/overloaded');

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-12-01T07:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 01 Dec 2026 07:00:12 GMT', now)).toBe(12);
    expect(parseRetryAfter('Tue, 01 Dec 2026 06:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });

  it('a 503 problem from POST /api/orders carries its Retry-After', async () => {
    const res = new Response(JSON.stringify({ type: '/problems/overloaded', title: 'Service Unavailable', status: 503, detail: 'Order intake is full' }), {
      status: 503,
      headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '5' },
    });
    const e = await toApiError(res);
    expect(e.status).toBe(503);
    expect(e.retryAfter).toBe(5);
    expect(submitErrorText(e, 'order')).toBe('Too many orders right now — try again in 5 s.');
    expect(submitWaitSeconds(e)).toBe(5);
  });
});

describe('messages', () => {
  it('reads that retry say so on 502/503/504 and when the server is unreachable', () => {
    for (const s of [502, 503, 504]) {
      expect(isUnavailable(err(s))).toBe(true);
      expect(loadErrorText(err(s))).toBe(UNAVAILABLE);
    }
    expect(UNAVAILABLE).toMatch(/^The service is unavailable, retrying/);
    expect(isUnavailable(err(0))).toBe(true);
    expect(loadErrorText(err(0))).toMatch(/Cannot reach the server.*retrying/);
    expect(isUnavailable(err(404))).toBe(false);
    expect(isUnavailable(new Error('x'))).toBe(false);
    expect(loadErrorText(err(422, null, 'bad cursor'))).toBe('bad cursor');
  });

  it('a read refused with 429 is retried by itself, as its message says; a client error is not', () => {
    expect(isRetriedByItself(err(429, 2))).toBe(true);
    expect(loadErrorText(err(429, 2))).toMatch(/retrying/);
    expect(retryDelayMs(err(429, 2), 0)).toBe(2000);
    expect(retryDelayMs(err(429, 0), 0)).toBe(1000); // never a loop of requests
    for (const s of [0, 502, 503, 504]) expect(isRetriedByItself(err(s))).toBe(true);
    for (const s of [400, 401, 404, 422]) expect(isRetriedByItself(err(s))).toBe(false);
  });

  it('an overloaded order intake (503) and rate limits (429) say when to try again', () => {
    expect(submitErrorText(overloaded(3), 'order')).toBe('Too many orders right now — try again in 3 s.');
    expect(submitErrorText(overloaded(null), 'order')).toBe('Too many orders right now — try again in a moment.');
    // An outage (the gateway cannot reach orders, the database is down) is not a crowd.
    expect(submitErrorText(err(503, 1, 'The orders service cannot be reached; try again shortly'), 'order')).toBe(
      'The service is unavailable — try again in 1 s.',
    );
    expect(submitErrorText(err(429, 2), 'order')).toBe('Too many requests right now — try again in 2 s.');
    expect(submitErrorText(err(429, 1))).toBe('Too many requests right now — try again in 1 s.');
    expect(submitErrorText(err(503, 4))).toBe('The service is unavailable — try again in 4 s.');
    expect(submitErrorText(err(502), 'order')).toBe('The service is unavailable — try again in a moment.');
    expect(submitErrorText(err(409, null, 'busy'))).toBe('busy');
  });

  it('a submission waits only when the server named a wait, and never absurdly long', () => {
    expect(submitWaitSeconds(err(503, 3))).toBe(3);
    expect(submitWaitSeconds(err(429, 10))).toBe(10);
    expect(submitWaitSeconds(err(503))).toBe(0);
    expect(submitWaitSeconds(err(502, 5))).toBe(0);
    expect(submitWaitSeconds(err(503, 86_400))).toBe(300);
  });

  it('drops a "try again in N s" once its wait is over, and keeps every other error', () => {
    const refused = overloaded(3);
    expect(errorShownAfterWait(refused, 2)).toBe(refused);
    expect(errorShownAfterWait(refused, 0)).toBeNull();
    const invalid = err(422, null, 'amount must be positive');
    expect(errorShownAfterWait(invalid, 0)).toBe(invalid);
    const down = err(502, 5);
    expect(errorShownAfterWait(down, 0)).toBe(down);
    expect(errorShownAfterWait(null, 0)).toBeNull();
  });

  it('reads back off, honouring Retry-After', () => {
    expect(retryDelayMs(err(502), 0)).toBe(1000);
    expect(retryDelayMs(err(502), 3)).toBe(8000);
    expect(retryDelayMs(err(502), 20)).toBe(30_000);
    expect(retryDelayMs(err(503, 7), 0)).toBe(7000);
  });
});

describe('field messages', () => {
  it('a predicate from the server becomes a sentence about the field; a sentence stays', () => {
    expect(asSentence('Password', 'must be 8 to 128 characters long')).toBe('Password must be 8 to 128 characters long');
    expect(asSentence('Username', 'is already taken')).toBe('Username is already taken');
    expect(asSentence('Username', 'Enter a username')).toBe('Enter a username');
    expect(asSentence('Username', undefined)).toBeUndefined();
  });
});
