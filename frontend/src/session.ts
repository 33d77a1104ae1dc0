// The session lives in localStorage so a reload keeps the same user.
import type { AuthResponse } from './types';

export type SessionKind = 'guest' | 'user';

export interface Session {
  token: string;
  userId: string;
  expiresAt: string;
  kind: SessionKind;
  username?: string;
}

/** The localStorage key: every tab of the origin shares the session saved under it. */
export const SESSION_KEY = 'kpo4.session';

export function loadSession(storage: Storage | undefined = globalThis.localStorage): Session | null {
  try {
    const raw = storage?.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s.token !== 'string' || typeof s.userId !== 'string') return null;
    return s;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    if (s) storage?.setItem(SESSION_KEY, JSON.stringify(s));
    else storage?.removeItem(SESSION_KEY);
  } catch {
    /* private mode: the session then lasts as long as the page */
  }
}

export function sessionFrom(auth: AuthResponse, kind: SessionKind, username?: string): Session {
  return { token: auth.token, userId: auth.userId, expiresAt: auth.expiresAt, kind, username };
}

/** True when the token is past (or within a minute of) its expiry. */
export function isExpired(s: Session, now = Date.now()): boolean {
  const t = Date.parse(s.expiresAt);
  return Number.isFinite(t) && t - 60_000 <= now;
}
