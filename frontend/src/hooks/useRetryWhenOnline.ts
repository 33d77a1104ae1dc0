// A read that failed while the network or the service was down waits for its backoff timer (up to 30 s)
// before it is tried again. When the browser reports that it is back online there is no reason to keep
// waiting: the read is tried at once. Before this, after an outage of 20 s the page stayed "unavailable"
// for another 12 s, with a stale balance.
import { useEffect } from 'preact/hooks';
import { isRetriedByItself } from '../errors';

/**
 * Calls `retry` when the browser comes back online while `error` is one that the caller's own timer
 * retries (`retried`, by default isRetriedByItself).
 */
export function useRetryWhenOnline(
  error: unknown,
  retry: () => void,
  retried: (e: unknown) => boolean = isRetriedByItself,
): void {
  useEffect(() => {
    if (!retried(error)) return;
    window.addEventListener('online', retry);
    return () => window.removeEventListener('online', retry);
  }, [error, retry, retried]);
}
