// Live order updates: an EventSource on /api/events, and while it is down, polling every 2 s until it
// reconnects. Every (re)connection also resyncs once, so nothing missed while offline stays stale.
import { parseJson } from './json';
import type { Order } from './types';

export type LiveMode = 'connecting' | 'live' | 'polling';

export interface LiveOptions {
  url: (lastEventId: string | null) => string;
  onOrder: (order: Order) => void;
  /** Fetches the current state (GET /api/orders…); called on connect and on every poll. */
  resync: () => Promise<unknown>;
  onMode: (mode: LiveMode) => void;
  pollMs?: number;
  reopenMs?: number;
  EventSourceImpl?: typeof EventSource;
  /** Where the browser's `online` and `offline` events come from (the window; none in tests unless given). */
  network?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | null;
}

export class LiveUpdates {
  private es: EventSource | null = null;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private reopenTimer: ReturnType<typeof setTimeout> | null = null;
  private lastEventId: string | null = null;
  private stopped = false;
  private mode: LiveMode | null = null;

  constructor(private readonly o: LiveOptions) {}

  // Offline, an open stream may look open for a long while (no error until the next heartbeat is
  // missed): the page said "Live" beside "Cannot reach the server". So offline, the stream is closed
  // and the list polled (which says the server cannot be reached); back online, it is opened again
  // at once rather than when the reopen timer or the browser's own retry comes round.
  private readonly wentOffline = () => {
    if (this.stopped) return;
    this.es?.close();
    this.es = null;
    // A reopen due meanwhile would only make a stream that fails while offline.
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.startPolling();
  };

  private readonly cameOnline = () => {
    if (this.stopped || this.es?.readyState === 1 /* OPEN */) return;
    // A stream still connecting (or retrying by the browser's own timer) is replaced by a new one now.
    this.es?.close();
    this.es = null;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.open();
  };

  private network(): LiveOptions['network'] {
    if (this.o.network !== undefined) return this.o.network;
    return typeof window === 'undefined' ? null : window;
  }

  start(): void {
    this.stopped = false;
    this.network()?.addEventListener('offline', this.wentOffline);
    this.network()?.addEventListener('online', this.cameOnline);
    this.setMode('connecting');
    this.open();
  }

  stop(): void {
    this.network()?.removeEventListener('offline', this.wentOffline);
    this.network()?.removeEventListener('online', this.cameOnline);
    this.stopped = true;
    this.es?.close();
    this.es = null;
    this.stopPolling();
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
  }

  private setMode(m: LiveMode): void {
    if (this.mode === m) return;
    this.mode = m;
    this.o.onMode(m);
  }

  private open(): void {
    if (this.stopped) return;
    const ES = this.o.EventSourceImpl ?? globalThis.EventSource;
    if (!ES) {
      this.startPolling();
      return;
    }
    const es = new ES(this.o.url(this.lastEventId));
    this.es = es;
    es.addEventListener('order', (ev) => {
      const e = ev as MessageEvent<string>;
      if (e.lastEventId) this.lastEventId = e.lastEventId;
      try {
        this.o.onOrder(parseJson(e.data) as Order); // exact beyond 2^53, like every response (json.ts)
      } catch {
        /* a malformed event is ignored; the next resync corrects the state */
      }
    });
    es.onopen = () => {
      if (this.es !== es) return;
      this.stopPolling();
      this.setMode('live');
      void this.o.resync().catch(() => undefined);
    };
    es.onerror = () => {
      if (this.es !== es || this.stopped) return;
      this.startPolling();
      if (es.readyState === 2 /* CLOSED: the browser gave up (e.g. 401, 502) */) {
        es.close();
        this.es = null;
        if (this.reopenTimer) clearTimeout(this.reopenTimer);
        this.reopenTimer = setTimeout(() => {
          this.reopenTimer = null;
          this.open();
        }, this.o.reopenMs ?? 5000);
      }
    };
  }

  /** Re-opens the stream (e.g. with a new token). */
  reconnect(): void {
    this.es?.close();
    this.es = null;
    this.open();
  }

  private startPolling(): void {
    this.setMode('polling');
    if (this.pollTimer || this.stopped) return;
    const poll = () => void this.o.resync().catch(() => undefined);
    poll();
    this.pollTimer = setInterval(poll, this.o.pollMs ?? 2000);
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }
}
