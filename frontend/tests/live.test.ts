import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveUpdates, type LiveMode } from '../src/live';

class FakeES {
  static all: FakeES[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  listeners: Record<string, ((e: unknown) => void)[]> = {};
  closed = false;
  constructor(public url: string) {
    FakeES.all.push(this);
  }
  addEventListener(name: string, fn: (e: unknown) => void) {
    (this.listeners[name] ??= []).push(fn);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  fail(closed: boolean) {
    this.readyState = closed ? 2 : 0;
    this.onerror?.();
  }
  emit(data: unknown, id: string) {
    for (const fn of this.listeners['order'] ?? []) fn({ data: JSON.stringify(data), lastEventId: id });
  }
}

describe('LiveUpdates', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeES.all = [];
  });
  afterEach(() => vi.useRealTimers());

  function setup(network: EventTarget | null = null) {
    const modes: LiveMode[] = [];
    const orders: unknown[] = [];
    const resync = vi.fn(async () => undefined);
    const live = new LiveUpdates({
      url: (last) => `/api/events?access_token=t${last ? `&lastEventId=${last}` : ''}`,
      onOrder: (o) => orders.push(o),
      resync,
      onMode: (m) => modes.push(m),
      EventSourceImpl: FakeES as unknown as typeof EventSource,
      network,
    });
    return { live, modes, orders, resync };
  }

  it('delivers order events and resyncs on open', () => {
    const { live, modes, orders, resync } = setup();
    live.start();
    const es = FakeES.all[0]!;
    expect(es.url).toBe('/api/events?access_token=t');
    es.open();
    expect(modes).toEqual(['connecting', 'live']);
    expect(resync).toHaveBeenCalledTimes(1);
    es.emit({ id: 'o1', status: 'Finished' }, '7');
    expect(orders).toEqual([{ id: 'o1', status: 'Finished' }]);
    live.stop();
  });

  it('keeps an amount beyond 2^53 in an event exact', () => {
    const { live, orders } = setup();
    live.start();
    const es = FakeES.all[0]!;
    es.open();
    for (const fn of es.listeners['order'] ?? []) fn({ data: '{"id":"o1","amount":9007199254740993}', lastEventId: '8' });
    expect(orders).toEqual([{ id: 'o1', amount: 9007199254740993n }]);
    live.stop();
  });

  it('polls every 2 s while the stream is down and stops when it reconnects', async () => {
    const { live, modes, resync } = setup();
    live.start();
    const es = FakeES.all[0]!;
    es.open();
    resync.mockClear();
    es.fail(false); // the browser is reconnecting by itself
    expect(modes.at(-1)).toBe('polling');
    expect(resync).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(6000);
    expect(resync).toHaveBeenCalledTimes(4);
    es.open();
    expect(modes.at(-1)).toBe('live');
    const n = resync.mock.calls.length;
    await vi.advanceTimersByTimeAsync(6000);
    expect(resync.mock.calls.length).toBe(n);
    live.stop();
  });

  it('re-opens a closed stream itself, resuming after the last event id', async () => {
    const { live, modes } = setup();
    live.start();
    const es = FakeES.all[0]!;
    es.open();
    es.emit({ id: 'o1' }, '41');
    es.fail(true); // e.g. a 502: EventSource gives up
    expect(modes.at(-1)).toBe('polling');
    await vi.advanceTimersByTimeAsync(5000);
    expect(FakeES.all).toHaveLength(2);
    expect(FakeES.all[1]!.url).toBe('/api/events?access_token=t&lastEventId=41');
    FakeES.all[1]!.open();
    expect(modes.at(-1)).toBe('live');
    live.stop();
    expect(FakeES.all[1]!.closed).toBe(true);
  });

  it('offline, closes the stream and polls; back online, opens it again at once', async () => {
    const network = new EventTarget();
    const { live, modes, resync } = setup(network);
    live.start();
    const es = FakeES.all[0]!;
    es.open();
    es.emit({ id: 'o1' }, '9');
    resync.mockClear();
    network.dispatchEvent(new Event('offline'));
    expect(es.closed).toBe(true);
    expect(modes.at(-1)).toBe('polling');
    expect(resync).toHaveBeenCalledTimes(1);
    network.dispatchEvent(new Event('online'));
    expect(FakeES.all).toHaveLength(2);
    expect(FakeES.all[1]!.url).toBe('/api/events?access_token=t&lastEventId=9');
    FakeES.all[1]!.open();
    expect(modes.at(-1)).toBe('live');
    // Online again while the stream is open: nothing more is opened.
    network.dispatchEvent(new Event('online'));
    expect(FakeES.all).toHaveLength(2);
    live.stop();
    // Stopped: the network's events no longer reach it.
    network.dispatchEvent(new Event('online'));
    expect(FakeES.all).toHaveLength(2);
  });

  it('offline cancels a pending reopen; online replaces a stream that is still connecting', async () => {
    const network = new EventTarget();
    const { live } = setup(network);
    live.start();
    FakeES.all[0]!.open();
    FakeES.all[0]!.fail(true); // closed: a reopen is due in 5 s
    network.dispatchEvent(new Event('offline'));
    await vi.advanceTimersByTimeAsync(6000);
    expect(FakeES.all).toHaveLength(1);
    network.dispatchEvent(new Event('online'));
    expect(FakeES.all).toHaveLength(2);
    // Still connecting when the browser says online again: a new stream replaces it.
    network.dispatchEvent(new Event('online'));
    expect(FakeES.all[1]!.closed).toBe(true);
    expect(FakeES.all).toHaveLength(3);
    live.stop();
  });
});
