// Order reconciliation: the list is fed by three sources that race each other (the first page and
// resyncs, live events, single-order fetches), so every incoming copy of an order is merged with the
// one already shown and the more advanced copy wins. Pure functions only: no I/O, no timers.
import type { Order } from '../types';

/** The four steps of a settled order: created, published, payment_succeeded | payment_failed, finished | cancelled. */
export const FINAL_TIMELINE_STEPS = 4;

export function isFinal(o: Order): boolean {
  return o.status !== 'Created';
}

/**
 * The copy to keep of one order: a final status beats a pending one (an order never leaves a final
 * status, so a stale `Created` copy arriving late must not undo it); between two copies of the same
 * finality the longer timeline wins; on a tie the incoming copy `b` wins, so refreshed fields show.
 */
export function newerOf(a: Order | undefined, b: Order): Order {
  if (!a) return b;
  if (isFinal(a) && !isFinal(b)) return a;
  if (isFinal(b) && !isFinal(a)) return b;
  if ((b.timeline?.length ?? 0) < (a.timeline?.length ?? 0)) return a;
  return b;
}

/**
 * Merges incoming copies into the orders shown. Returns `cur` itself when nothing changed, so a caller
 * (or a reducer) can skip a re-render by identity.
 */
export function merge(cur: ReadonlyMap<string, Order>, incoming: readonly Order[]): ReadonlyMap<string, Order> {
  let next: Map<string, Order> | null = null;
  for (const o of incoming) {
    const prev = (next ?? cur).get(o.id);
    const winner = newerOf(prev, o);
    if (winner === prev) continue;
    next ??= new Map(cur);
    next.set(o.id, winner);
  }
  return next ?? cur;
}

/** Orders known in `prev` as pending that are final in `next`: what to announce and why the balance changed. */
export function newlySettled(prev: ReadonlyMap<string, Order>, next: ReadonlyMap<string, Order>): Order[] {
  if (prev === next) return [];
  const out: Order[] = [];
  for (const [id, o] of next) {
    const before = prev.get(id);
    if (before && !isFinal(before) && isFinal(o)) out.push(o);
  }
  return out;
}

/** Newest first, as the API lists them; equal times are ordered by id so the order is stable. */
export function newestFirst(orders: ReadonlyMap<string, Order>): Order[] {
  return Array.from(orders.values()).sort((a, b) =>
    a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1,
  );
}

/**
 * The "published" step is recorded once the broker has confirmed the event, and the payment can be
 * processed before that record lands: a final order may briefly lack it. Such an order is fetched again.
 */
export function timelineIncomplete(o: Order | undefined): boolean {
  return !!o && isFinal(o) && (o.timeline?.length ?? 0) < FINAL_TIMELINE_STEPS;
}

// ---------------------------------------------------------------------------------------------
// The orders list as one state value, changed only through `ordersReducer`.

export interface OrdersState {
  byId: ReadonlyMap<string, Order>;
  /** Cursor of the next older page; `undefined` until the first page has loaded. */
  next: string | null | undefined;
}

export type OrdersAction =
  | { type: 'merge'; orders: readonly Order[] }
  /** A page from GET /api/orders: the first one (`first`) or an older one; both set the cursor. */
  | { type: 'page'; orders: readonly Order[]; next: string | null; first?: boolean };

export const emptyOrders: OrdersState = { byId: new Map(), next: undefined };

/** True once a first page has arrived: only then may an empty list be called empty. */
export function loaded(s: OrdersState): boolean {
  return s.next !== undefined;
}

export function ordersReducer(s: OrdersState, a: OrdersAction): OrdersState {
  const byId = merge(s.byId, a.orders);
  if (a.type === 'merge') return byId === s.byId ? s : { ...s, byId };
  // A resync that happens to come first counts as the first page; later ones keep the cursor that
  // "Show older orders" has advanced.
  if (a.first && loaded(s)) return byId === s.byId ? s : { ...s, byId };
  return { byId, next: a.next };
}
