// One form's submission: a guard against sending twice, the error of the last attempt, and the wait the
// server asked for (429/503 with Retry-After) during which the submit button stays disabled.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorShownAfterWait, submitWaitSeconds } from '../errors';

export type Outcome = 'done' | 'failed' | 'skipped';

export interface Submission {
  busy: boolean;
  /** Whole seconds left before the server accepts another attempt; 0 when it may be sent now. */
  wait: number;
  /** What the last attempt failed with (null after a success, a new attempt, or once the wait is over). */
  error: unknown;
  /** Runs `task` unless an attempt is running or the server's wait is not over ('skipped'). */
  run: (task: () => Promise<void>) => Promise<Outcome>;
  clearError: () => void;
}

export function useSubmit(now: () => number = Date.now): Submission {
  // Refs, not state, do the guarding: a double click delivers two events before the button
  // re-renders as disabled.
  const busyRef = useRef(false);
  const blockedUntil = useRef(0);
  const [busy, setBusy] = useState(false);
  const [until, setUntil] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const wait = useCountdown(until, now);
  // The control that had the focus when the submission began (its button, for a keyboard user): the
  // button is disabled while busy, which drops the focus to the page, so it is given back afterwards.
  const returnFocus = useRef<HTMLElement | null>(null);

  const run = useCallback(
    async (task: () => Promise<void>): Promise<Outcome> => {
      if (busyRef.current || now() < blockedUntil.current) return 'skipped';
      busyRef.current = true;
      returnFocus.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      setBusy(true);
      setError(null);
      try {
        await task();
        return 'done';
      } catch (e) {
        const seconds = submitWaitSeconds(e);
        if (seconds > 0) {
          blockedUntil.current = now() + seconds * 1000;
          setUntil(blockedUntil.current);
        }
        setError(e);
        return 'failed';
      } finally {
        busyRef.current = false;
        setBusy(false);
      }
    },
    [now],
  );

  // Back where it was, once the control is enabled again; unless the user has moved on meanwhile.
  useEffect(() => {
    const control = returnFocus.current;
    if (busy || wait > 0 || !control) return;
    returnFocus.current = null;
    const dropped = document.activeElement === null || document.activeElement === document.body;
    if (dropped && control.isConnected && !(control as HTMLButtonElement).disabled) control.focus();
  }, [busy, wait]);

  // Once the wait is over, "try again in N s" is no longer true: the message goes, the button is back.
  useEffect(() => {
    if (until === 0 || wait > 0) return;
    setUntil(0);
    setError((e: unknown) => (submitWaitSeconds(e) > 0 ? null : e));
  }, [until, wait]);

  return { busy, wait, error: errorShownAfterWait(error, wait), run, clearError: useCallback(() => setError(null), []) };
}

/** Whole seconds until `until` (epoch ms), re-rendering once a second while it counts down. */
export function useCountdown(until: number, now: () => number = Date.now): number {
  const [ticks, tick] = useState(0);
  const left = Math.max(0, Math.ceil((until - now()) / 1000));
  useEffect(() => {
    if (left <= 0) return;
    // Wake up when the shown number changes (the next whole second), and again after every wake-up.
    const t = setTimeout(() => tick((n) => n + 1), Math.max(10, (until - now()) % 1000 || 1000));
    return () => clearTimeout(t);
  }, [until, left, ticks, now]);
  return left;
}
