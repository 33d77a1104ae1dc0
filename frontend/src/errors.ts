// What a failed request tells the user. Two situations differ:
// - background reads (account, orders, the guest session) retry by themselves, so their message says so;
// - submissions (an order, a top-up, signing in) are never retried behind the user's back: the message
//   says when to try again, and when the server named a wait (Retry-After) the button waits that long.
import { ApiError } from './api';

/** The service is down or overloaded rather than the request wrong: worth retrying as it is. */
export function isUnavailable(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504);
}

/**
 * Whether a background read that failed with `e` is tried again by itself (after `retryDelayMs`): the
 * service is unavailable, or it asked for fewer requests (429). `loadErrorText` says "retrying" for both.
 */
export function isRetriedByItself(e: unknown): boolean {
  return isUnavailable(e) || (e instanceof ApiError && e.status === 429);
}

export const UNAVAILABLE = 'The service is unavailable, retrying…';

/** The message for a read that is retried by itself (see `retryDelayMs`). */
export function loadErrorText(e: unknown): string {
  if (e instanceof ApiError && e.status === 0) return 'Cannot reach the server — check your connection; retrying…';
  if (isUnavailable(e)) return UNAVAILABLE;
  if (e instanceof ApiError && e.status === 429) return 'Too many requests right now; retrying…';
  return e instanceof ApiError ? e.detail : 'Something went wrong — please try again.';
}

/**
 * How long a background read waits before its next attempt: the server's Retry-After when it gave one,
 * else a backoff of 1, 2, 4 … up to 30 s.
 */
export function retryDelayMs(e: unknown, attempt: number): number {
  const ra = e instanceof ApiError ? e.retryAfter : null;
  // At least a second: a Retry-After of 0 (or a date past) must not make a loop of requests.
  if (ra !== null) return Math.min(Math.max(ra, 1), 300) * 1000;
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}

/** Seconds a submission must wait before it may be sent again: only when the server said so (429, 503). */
export function submitWaitSeconds(e: unknown): number {
  if (!(e instanceof ApiError) || (e.status !== 429 && e.status !== 503) || e.retryAfter === null) return 0;
  // A misconfigured server must not lock the button for an hour.
  return Math.min(e.retryAfter, 300);
}

/**
 * The last attempt's error as a form shows it now. A "try again in N s" is true only while the wait lasts:
 * it is dropped in the very render that enables the button again (not one render later, when the
 * hook's clean-up runs), so no one sees an enabled button under a message telling them to wait.
 */
export function errorShownAfterWait(e: unknown, secondsLeft: number): unknown {
  return secondsLeft === 0 && submitWaitSeconds(e) > 0 ? null : e;
}

export type SubmitKind = 'order' | 'other';

/** The problem type of a refusal because the system is busy (orders' backpressure, the gateway's shedding). */
export const OVERLOADED_TYPE = '/problems/overloaded';

/**
 * The message for a failed submission. It names the server's whole wait and does not count down: it is
 * shown in an alert (role="alert"), which a screen reader reads again whenever its text changes; the
 * submit button counts down instead.
 */
export function submitErrorText(e: unknown, kind: SubmitKind = 'other'): string {
  if (!(e instanceof ApiError)) return 'Something went wrong — please try again.';
  const wait = submitWaitSeconds(e);
  const when = wait > 0 ? `in ${wait} s` : 'in a moment';
  // POST /api/orders answers 503 of this type (problem+json, Retry-After) when the order pipeline is
  // behind: the system refuses new orders for a while rather than queueing them without bound. Any
  // other 503 (orders cannot be reached, the database is down) is an outage, not a crowd.
  if (e.status === 503 && kind === 'order' && e.type === OVERLOADED_TYPE) {
    return `Too many orders right now — try again ${when}.`;
  }
  if (e.status === 429) return `Too many requests right now — try again ${when}.`;
  if (e.status === 502 || e.status === 503 || e.status === 504) return `The service is unavailable — try again ${when}.`;
  return e.detail;
}

/**
 * A field's problem as a sentence about the field: the server names it as a predicate under the field's
 * name ("must be 8 to 128 characters long" for the password), which shown alone reads as a fragment.
 * "Password" + "must be …" → "Password must be …"; a message that is already a sentence stays as it is.
 */
export function asSentence(label: string, message: string | undefined): string | undefined {
  if (!message) return message;
  return /^\p{Ll}/u.test(message) ? `${label} ${message}` : message;
}
