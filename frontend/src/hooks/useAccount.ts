// The account and its ledger. A missing account (404) is a state, not an error; an unavailable service
// (or one that asked for fewer requests) is retried by itself, backing off.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ApiClient } from '../api';
import { isRetriedByItself, retryDelayMs } from '../errors';
import type { Account, LedgerEntry } from '../types';
import { useAlive } from './useAlive';
import { useRetryWhenOnline } from './useRetryWhenOnline';

export const ENTRIES_PAGE = 10;

export interface AccountState {
  /** undefined: not loaded yet; null: the user has no account. */
  account: Account | null | undefined;
  entries: LedgerEntry[];
  entriesNext: string | null;
  error: unknown;
  reload: () => Promise<void>;
  /** Reloads shortly: an order just settled, so the balance and the ledger moved. */
  reloadSoon: () => void;
  moreEntries: () => Promise<void>;
}

export function useAccount(client: ApiClient): AccountState {
  const [account, setAccount] = useState<Account | null | undefined>(undefined);
  const [entries, setEntries] = useState<LedgerEntry[]>([]);
  const [entriesNext, setEntriesNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const alive = useAlive();
  const attempts = useRef(0);

  const reload = useCallback(async () => {
    try {
      const [acc, page] = await Promise.all([client.myAccount(), client.entries(ENTRIES_PAGE)]);
      if (!alive.current) return;
      setAccount(acc);
      setEntries(page.items);
      setEntriesNext(page.next);
      setError(null);
      attempts.current = 0;
    } catch (e) {
      if (!alive.current) return;
      if (e instanceof ApiError && e.status === 404) {
        setAccount(null);
        setEntries([]);
        setEntriesNext(null);
        setError(null);
      } else setError(e);
    }
  }, [client, alive]);

  useEffect(() => void reload(), [reload]);

  useEffect(() => {
    if (!isRetriedByItself(error)) return;
    const t = setTimeout(() => void reload(), retryDelayMs(error, attempts.current++));
    return () => clearTimeout(t);
  }, [error, reload]);
  const reloadNow = useCallback(() => void reload(), [reload]);
  useRetryWhenOnline(error, reloadNow);

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  const reloadSoon = useCallback(() => {
    // Several orders settling together cost one reload.
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void reload(), 150);
  }, [reload]);

  const moreEntries = useCallback(async () => {
    const page = await client.entries(ENTRIES_PAGE, entriesNext);
    if (!alive.current) return;
    setEntries((cur) => [...cur, ...page.items.filter((x) => !cur.some((c) => c.id === x.id))]);
    setEntriesNext(page.next);
  }, [client, entriesNext, alive]);

  return { account, entries, entriesNext, error, reload, reloadSoon, moreEntries };
}
