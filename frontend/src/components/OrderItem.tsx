// One order in the list: a button that opens its details (and its address, /orders/<id>).
import { useState } from 'preact/hooks';
import { dateTimeOf, reasonText, shortId } from '../format';
import { formatRubles } from '../money';
import { routePath } from '../route';
import type { Order } from '../types';
import { Badge } from './Badge';
import { Timeline } from './Timeline';

export function OrderItem({ order, open, onToggle }: { order: Order; open: boolean; onToggle: () => void }) {
  const why = reasonText(order.failureReason);
  const detailsId = `order-${order.id}-details`;
  return (
    <li
      class={`order ${order.status.toLowerCase()}${open ? ' open' : ''}`}
      id={`order-${order.id}`}
      data-order-id={order.id}
      data-status={order.status}
    >
      <button type="button" class="order-row" aria-expanded={open} aria-controls={detailsId} onClick={onToggle}>
        <div class="order-top">
          <Badge status={order.status} />
          <span class="order-amount">{formatRubles(order.amount)}</span>
        </div>
        <div class="order-desc">{order.description}</div>
        <div class="order-meta">
          <time dateTime={order.createdAt}>{dateTimeOf(order.createdAt)}</time>
          <span aria-hidden="true">·</span>
          <span class="mono">#{shortId(order.id)}</span>
        </div>
        {why && (
          <div class="reason" data-testid="reason">
            {why}
          </div>
        )}
      </button>
      {open && (
        <div class="order-details" id={detailsId}>
          <Timeline order={order} />
          <CopyLink path={routePath({ orderId: order.id })} />
        </div>
      )}
    </li>
  );
}

/** The order's address: a real link (so "Copy link address" works too) that copies itself when clicked. */
function CopyLink({ path }: { path: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <p class="order-link small">
      <a
        href={path}
        data-testid="order-link"
        onClick={(e) => {
          e.preventDefault(); // this is the page already shown
          const url = new URL(path, location.href).href;
          void navigator.clipboard?.writeText(url).then(
            () => setCopied(true),
            () => undefined, // no clipboard permission: the link can still be copied from its menu
          );
        }}
      >
        Copy link to this order
      </a>
      <span role="status" class="muted">
        {copied ? ' Copied.' : ''}
      </span>
    </p>
  );
}
