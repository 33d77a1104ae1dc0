// The session: kept in localStorage, a guest one created when there is none (or it expired), renewed
// once when a guest's token is rejected. Also the one ApiClient of the app, which reads the token.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiClient } from '../api';
import { isUnavailable, retryDelayMs } from '../errors';
import { isExpired, loadSession, saveSession, SESSION_KEY, sessionFrom, type Session } from '../session';
import { useRetryWhenOnline } from './useRetryWhenOnline';

const EXPIRED = 'Your session expired, so you are a guest now. Sign in again to see your orders.';

export interface SessionState {
  session: Session | null;
  client: ApiClient;
  /** Why no guest session could be started (the boot screen shows it); retried by itself when transient. */
  bootError: unknown;
  notice: string | null;
  dismissNotice: () => void;
  setSession: (s: Session) => void;
  startGuest: () => Promise<void>;
}

export function useSession(): SessionState {
  const [session, setSessionState] = useState<Session | null>(() => loadSession());
  // The client asks for the token between renders (and right after a renewal), so it reads a ref.
  const sessionRef = useRef(session);
  const [bootError, setBootError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const renewing = useRef<Promise<boolean> | null>(null);
  const bootAttempts = useRef(0);
  // Counts the sessions this tab took over from other tabs: a guest start or renewal that began
  // before the latest one must neither save its result nor retry (it would sign that session out).
  const followed = useRef(0);

  // Holds a session another tab saved: no need to save it again (that would fire the other tabs'
  // `storage` events for nothing).
  const adoptSession = useCallback((s: Session | null) => {
    sessionRef.current = s;
    setSessionState(s);
  }, []);

  const setSession = useCallback(
    (s: Session | null) => {
      saveSession(s);
      adoptSession(s);
    },
    [adoptSession],
  );

  const client = useMemo(() => {
    const c: ApiClient = new ApiClient({
      getToken: () => sessionRef.current?.token ?? null,
      onUnauthorized: (rejected) => {
        // Refused with a token this tab no longer holds (another tab signed in or out meanwhile):
        // nothing to renew, and the request is not repeated for a user it was not made by.
        if (rejected !== null && rejected !== sessionRef.current?.token) return Promise.resolve(false);
        // One renewal at a time, whatever number of requests failed together.
        renewing.current ??= (async () => {
          const was = sessionRef.current;
          const generation = followed.current;
          try {
            const guest = sessionFrom(await c.guest(), 'guest');
            if (generation !== followed.current) return false;
            setSession(guest);
            if (was?.kind === 'user') setNotice(EXPIRED);
            // Only a guest's request is retried: a signed-in user's must not land in a new guest account.
            return was?.kind !== 'user';
          } catch {
            return false;
          } finally {
            setTimeout(() => (renewing.current = null), 0);
          }
        })();
        return renewing.current;
      },
    });
    return c;
  }, [setSession]);

  const startGuest = useCallback(async () => {
    setBootError(null);
    const before = loadSession()?.token;
    const generation = followed.current;
    try {
      const guest = sessionFrom(await client.guest(), 'guest');
      if (generation !== followed.current) return;
      bootAttempts.current = 0;
      // Another tab saved a session meanwhile (a sign-in, or its own new guest): this tab joins it
      // rather than overwrite it, which would sign that tab's user out everywhere.
      const saved = loadSession();
      if (saved && saved.token !== before && !isExpired(saved)) adoptSession(saved);
      else setSession(guest);
    } catch (e) {
      if (generation === followed.current) setBootError(e);
    }
  }, [client, setSession, adoptSession]);

  useEffect(() => {
    const s = sessionRef.current;
    if (!s) void startGuest();
    else if (isExpired(s)) {
      if (s.kind === 'user') setNotice(EXPIRED);
      void startGuest();
    }
  }, [startGuest]);

  // Another tab of this origin signed in or out (or renewed the session): this one follows, so that no
  // tab goes on acting for a user who signed out elsewhere. The `storage` event fires in the other
  // tabs only, never in the one that wrote.
  useEffect(() => {
    const follow = (e: StorageEvent) => {
      if (e.key !== null && e.key !== SESSION_KEY) return;
      const next = loadSession();
      if (next?.token === sessionRef.current?.token) return;
      if (!next) {
        void startGuest();
        return;
      }
      // This tab has a session now: a start-up it was still retrying, or one under way, must not
      // replace it later. A notice saying why this tab became a guest stays, unless a user signed in.
      followed.current++;
      setBootError(null);
      bootAttempts.current = 0;
      if (next.kind === 'user') setNotice(null);
      adoptSession(next);
    };
    window.addEventListener('storage', follow);
    return () => window.removeEventListener('storage', follow);
  }, [startGuest, adoptSession]);

  // While the service is down the boot screen says "retrying": so retry, backing off.
  useEffect(() => {
    if (!isUnavailable(bootError)) return;
    const t = setTimeout(() => void startGuest(), retryDelayMs(bootError, bootAttempts.current++));
    return () => clearTimeout(t);
  }, [bootError, startGuest]);
  const startGuestNow = useCallback(() => void startGuest(), [startGuest]);
  useRetryWhenOnline(bootError, startGuestNow, isUnavailable);

  return {
    session,
    client,
    bootError,
    notice,
    dismissNotice: useCallback(() => setNotice(null), []),
    setSession: useCallback((s: Session) => (setNotice(null), setSession(s)), [setSession]),
    startGuest: useCallback(() => (setNotice(null), startGuest()), [startGuest]),
  };
}
