import { describe, expect, it } from 'vitest';
import {
  emptyOrders,
  isFinal,
  loaded,
  merge,
  newerOf,
  newestFirst,
  newlySettled,
  ordersReducer,
  timelineIncomplete,
} from '../src/state/orders';
import type { Order, OrderStatus } from '../src/types';

const STEPS: Record<OrderStatus, string[]> = {
  Created: ['created'],
  Finished: ['created', 'published', 'payment_succeeded', 'finished'],
  Cancelled: ['created', 'published', 'payment_failed', 'cancelled'],
};

function order(id: string, status: OrderStatus = 'Created', over: Partial<Order> = {}): Order {
  return {
    id,
    userId: 'u',
    amount: 100,
    description: `order ${id}`,
    status,
    failureReason: status === 'Cancelled' ? 'insufficient_funds' : null,
    createdAt: '2026-12-01T07:00:00Z',
    updatedAt: '2026-12-01T07:00:00Z',
    timeline: STEPS[status].map((step, i) => ({ step, at: `2026-12-01T07:00:0${i}Z` })),
    ...over,
  };
}

const map = (...os: Order[]) => new Map(os.map((o) => [o.id, o]));

describe('isFinal', () => {
  it('only Created is pending', () => {
    expect(isFinal(order('a', 'Created'))).toBe(false);
    expect(isFinal(order('a', 'Finished'))).toBe(true);
    expect(isFinal(order('a', 'Cancelled'))).toBe(true);
  });
});

describe('newerOf', () => {
  it('takes the incoming copy of an order not shown yet', () => {
    const b = order('a');
    expect(newerOf(undefined, b)).toBe(b);
  });

  it('a final status beats a pending one, whichever arrives last', () => {
    const pending = order('a', 'Created');
    const done = order('a', 'Finished');
    expect(newerOf(pending, done)).toBe(done);
    // A stale list answer (fetched before the payment) arriving after the live event must not undo it.
    expect(newerOf(done, pending)).toBe(done);
  });

  it('between copies of equal finality the longer timeline wins', () => {
    const withoutPublished = order('a', 'Finished', {
      timeline: STEPS.Finished.filter((s) => s !== 'published').map((step) => ({ step, at: '2026-12-01T07:00:00Z' })),
    });
    const whole = order('a', 'Finished');
    expect(newerOf(withoutPublished, whole)).toBe(whole);
    expect(newerOf(whole, withoutPublished)).toBe(whole);
    const created = order('a', 'Created');
    const published = order('a', 'Created', { timeline: [...created.timeline, { step: 'published', at: '2026-12-01T07:00:01Z' }] });
    expect(newerOf(published, created)).toBe(published);
  });

  it('on a tie the incoming copy wins, so refreshed fields show', () => {
    const a = order('a', 'Finished');
    const b = order('a', 'Finished', { updatedAt: '2026-12-01T07:00:09Z' });
    expect(newerOf(a, b)).toBe(b);
  });

  it('treats a missing timeline as empty', () => {
    const bare = { ...order('a'), timeline: undefined } as unknown as Order;
    const created = order('a');
    expect(newerOf(bare, created)).toBe(created);
    expect(newerOf(created, bare)).toBe(created);
  });
});

describe('merge', () => {
  it('adds new orders and replaces older copies, without touching the input map', () => {
    const cur = map(order('a'), order('b'));
    const next = merge(cur, [order('b', 'Finished'), order('c')]);
    expect(next).not.toBe(cur);
    expect([...next.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(next.get('b')!.status).toBe('Finished');
    expect(next.get('a')).toBe(cur.get('a'));
    expect(cur.get('b')!.status).toBe('Created');
    expect(cur.size).toBe(2);
  });

  it('returns the same map when nothing changed, so nothing re-renders', () => {
    const done = order('a', 'Finished');
    const cur = map(done);
    expect(merge(cur, [])).toBe(cur);
    expect(merge(cur, [order('a', 'Created')])).toBe(cur);
  });

  it('reconciles several copies of one order within one batch', () => {
    const next = merge(new Map(), [order('a', 'Created'), order('a', 'Cancelled'), order('a', 'Created')]);
    expect(next.get('a')!.status).toBe('Cancelled');
  });
});

describe('newlySettled', () => {
  it('lists the known pending orders that became final', () => {
    const prev = map(order('a'), order('b'), order('c', 'Finished'));
    const next = merge(prev, [order('a', 'Finished'), order('c', 'Finished'), order('d', 'Cancelled')]);
    // "d" was not shown before (a first page, an older page): nothing to announce for it.
    expect(newlySettled(prev, next).map((o) => o.id)).toEqual(['a']);
    expect(newlySettled(next, next)).toEqual([]);
  });
});

describe('newestFirst', () => {
  it('sorts by creation time, newest first, then by id', () => {
    const os = map(
      order('a', 'Created', { createdAt: '2026-12-01T07:00:01Z' }),
      order('b', 'Created', { createdAt: '2026-12-01T07:00:03Z' }),
      order('c', 'Created', { createdAt: '2026-12-01T07:00:01Z' }),
    );
    expect(newestFirst(os).map((o) => o.id)).toEqual(['b', 'c', 'a']);
  });
});

describe('timelineIncomplete', () => {
  it('is true only for a final order that lacks a step', () => {
    expect(timelineIncomplete(undefined)).toBe(false);
    expect(timelineIncomplete(order('a', 'Created'))).toBe(false);
    expect(timelineIncomplete(order('a', 'Finished'))).toBe(false);
    expect(timelineIncomplete(order('a', 'Finished', { timeline: order('a', 'Finished').timeline.slice(1) }))).toBe(true);
  });
});

describe('ordersReducer', () => {
  it('is not loaded (not "empty") until a first page arrives', () => {
    expect(loaded(emptyOrders)).toBe(false);
    const s = ordersReducer(emptyOrders, { type: 'page', orders: [], next: null, first: true });
    expect(loaded(s)).toBe(true);
    expect(s.byId.size).toBe(0);
  });

  it('an order placed before the first page arrived does not count as loaded', () => {
    const s = ordersReducer(emptyOrders, { type: 'merge', orders: [order('a')] });
    expect(s.byId.size).toBe(1);
    expect(loaded(s)).toBe(false);
  });

  it('keeps the cursor that older pages advanced when a resync comes later', () => {
    let s = ordersReducer(emptyOrders, { type: 'page', orders: [order('b')], next: 'b', first: true });
    s = ordersReducer(s, { type: 'page', orders: [order('a')], next: null });
    expect(s.next).toBeNull();
    const resynced = ordersReducer(s, { type: 'page', orders: [order('b', 'Finished')], next: 'b', first: true });
    expect(resynced.next).toBeNull();
    expect(resynced.byId.get('b')!.status).toBe('Finished');
  });

  it('returns the same state when a merge changes nothing', () => {
    const s = ordersReducer(emptyOrders, { type: 'page', orders: [order('a', 'Finished')], next: null, first: true });
    expect(ordersReducer(s, { type: 'merge', orders: [order('a', 'Created')] })).toBe(s);
    expect(ordersReducer(s, { type: 'page', orders: [order('a', 'Created')], next: null, first: true })).toBe(s);
  });
});
