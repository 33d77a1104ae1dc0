// The orders of the signed-in user, kept current: the first page, live events over SSE (polling while
// the stream is down), older pages on demand, and the order whose details are open — fetched when the
// list does not hold it (a link to an older order) and refetched while its timeline is incomplete.
// How copies of one order are reconciled is state/orders.ts.
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { ApiError, type ApiClient } from '../api';
import { isRetriedByItself, retryDelayMs } from '../errors';
import { LiveUpdates, type LiveMode } from '../live';
import { emptyOrders, loaded, newestFirst, newlySettled, ordersReducer, timelineIncomplete } from '../state/orders';
import type { Order } from '../types';
import { useAlive } from './useAlive';
import { useRetryWhenOnline } from './useRetryWhenOnline';

export const ORDERS_PAGE = 10;

export interface OrdersHook {
  /** Newest first. */
  list: Order[];
  byId: ReadonlyMap<string, Order>;
  /** The first page has arrived: only then is an empty list really empty. */
  loaded: boolean;
  hasMore: boolean;
  error: unknown;
  mode: LiveMode;
  /** The open order's id when the server says there is no such order of this user (404). */
  missing: string | null;
  loadMore: () => Promise<void>;
  add: (o: Order) => void;
}

export function useOrders(client: ApiClient, openId: string | null, onSettled: (orders: Order[]) => void): OrdersHook {
  const [state, dispatch] = useReducer(ordersReducer, emptyOrders);
  const [error, setError] = useState<unknown>(null);
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [missing, setMissing] = useState<string | null>(null);
  const alive = useAlive();
  const attempts = useRef(0);
  // The live stream outlives renders; its resync sizes the page by the orders shown *now*.
  const latest = useRef(state);
  latest.current = state;

  const resync = useCallback(async () => {
    const n = Math.min(100, Math.max(ORDERS_PAGE, latest.current.byId.size));
    try {
      const page = await client.orders(n);
      if (!alive.current) return;
      dispatch({ type: 'page', orders: page.items, next: page.next, first: true });
      setError(null);
      attempts.current = 0;
    } catch (e) {
      if (alive.current) setError(e);
      throw e;
    }
  }, [client, alive]);

  useEffect(() => {
    void resync().catch(() => undefined);
    const live = new LiveUpdates({
      url: (last) => client.eventsUrl(last),
      onOrder: (o) => dispatch({ type: 'merge', orders: [o] }),
      resync,
      onMode: setMode,
    });
    live.start();
    return () => live.stop();
  }, [client, resync]);

  // While polling, LiveUpdates already retries every 2 s; with the stream up (or connecting) a failed
  // load would otherwise wait for the next event.
  useEffect(() => {
    if (!isRetriedByItself(error) || mode === 'polling') return;
    const t = setTimeout(() => void resync().catch(() => undefined), retryDelayMs(error, attempts.current++));
    return () => clearTimeout(t);
  }, [error, mode, resync]);
  const resyncNow = useCallback(() => void resync().catch(() => undefined), [resync]);
  useRetryWhenOnline(error, resyncNow);

  // Announce orders that settled since the last render (whichever source brought the news).
  const shown = useRef(state.byId);
  useEffect(() => {
    const settled = newlySettled(shown.current, state.byId);
    shown.current = state.byId;
    if (settled.length) onSettled(settled);
  }, [state.byId, onSettled]);

  const loadMore = useCallback(async () => {
    try {
      const page = await client.orders(ORDERS_PAGE, latest.current.next);
      if (!alive.current) return;
      dispatch({ type: 'page', orders: page.items, next: page.next });
      setError(null);
    } catch (e) {
      if (alive.current) setError(e);
    }
  }, [client, alive]);

  // The open order, when the list does not hold it: an older order, or a link from elsewhere.
  const isLoaded = loaded(state);
  const openKnown = !!openId && state.byId.has(openId);
  useEffect(() => {
    setMissing(null);
    if (!openId || openKnown || !isLoaded) return;
    let stopped = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fetchOne = () => {
      client.order(openId).then(
        (o) => !stopped && dispatch({ type: 'merge', orders: [o] }),
        (e) => {
          if (stopped) return;
          // 404 (also for another user's order, by design) and 422 (a malformed id) both mean: not yours.
          if (e instanceof ApiError && (e.status === 404 || e.status === 422)) setMissing(openId);
          else if (isRetriedByItself(e)) timer = setTimeout(fetchOne, retryDelayMs(e, attempt++));
        },
      );
    };
    fetchOne();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, openId, openKnown, isLoaded]);

  // A final order may briefly lack its "published" step: while its details are open, fetch it again
  // (backing off) until its timeline is whole.
  const incomplete = !!openId && timelineIncomplete(state.byId.get(openId));
  useEffect(() => {
    if (!openId || !incomplete) return;
    let attempt = 0;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refetch = () => {
      client
        .order(openId)
        .then((o) => !stopped && dispatch({ type: 'merge', orders: [o] }))
        .catch(() => undefined) // the next attempt will try again
        .finally(() => {
          if (!stopped && ++attempt < 6) timer = setTimeout(refetch, 200 * 2 ** attempt);
        });
    };
    refetch();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, openId, incomplete]);

  const list = useMemo(() => newestFirst(state.byId), [state.byId]);
  const add = useCallback((o: Order) => dispatch({ type: 'merge', orders: [o] }), []);

  return { list, byId: state.byId, loaded: isLoaded, hasMore: !!state.next, error, mode, missing, loadMore, add };
}
