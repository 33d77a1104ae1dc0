// The orders, newest first, with the state of the live connection and "Show older orders".
import { useState } from 'preact/hooks';
import { isUnavailable, loadErrorText } from '../errors';
import { shortId } from '../format';
import type { OrdersHook } from '../hooks/useOrders';
import type { LiveMode } from '../live';
import { OrderItem } from './OrderItem';

const MODE_TEXT: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  polling: 'Reconnecting · polling every 2 s',
};

export function OrdersCard(props: { orders: OrdersHook; openId: string | null; onToggle: (id: string) => void; onClose: () => void }) {
  const { orders, openId } = props;
  const [busy, setBusy] = useState(false);
  const unavailable = isUnavailable(orders.error);
  return (
    <section class="card orders-card" aria-labelledby="orders-title">
      <div class="card-head">
        <h2 id="orders-title">Orders</h2>
        <span class={`conn ${orders.mode}`} data-testid="connection" title="Live updates">
          <span class="dot" aria-hidden="true" />
          {MODE_TEXT[orders.mode]}
        </span>
      </div>
      {orders.error && !unavailable && (
        <p class="error" role="alert">
          {loadErrorText(orders.error)}
        </p>
      )}
      {orders.missing === openId && openId && (
        <div class="notice" role="alert" data-testid="order-missing">
          <span>
            Order #{shortId(openId)} was not found. It may belong to another session or login — sign in as the
            one that placed it.
          </span>
          <button type="button" class="link" onClick={props.onClose}>
            Close
          </button>
        </div>
      )}
      {orders.list.length > 0 ? (
        <ul class="orders" data-testid="orders">
          {orders.list.map((o) => (
            <OrderItem key={o.id} order={o} open={openId === o.id} onToggle={() => props.onToggle(o.id)} />
          ))}
        </ul>
      ) : !orders.loaded ? (
        // Not "No orders yet": nothing is known about the orders until a first page has arrived.
        unavailable ? (
          <p class="muted empty">Your orders will show here once the service is back.</p>
        ) : (
          !orders.error && <div class="skeleton" aria-busy="true" aria-label="Loading orders" />
        )
      ) : (
        <p class="muted empty">No orders yet. Place one — it appears here at once and updates live.</p>
      )}
      {orders.hasMore && (
        <button
          type="button"
          class="btn ghost wide"
          disabled={busy}
          aria-busy={busy}
          onClick={async () => {
            setBusy(true);
            await orders.loadMore();
            setBusy(false);
          }}
        >
          {busy ? 'Loading…' : 'Show older orders'}
        </button>
      )}
    </section>
  );
}
