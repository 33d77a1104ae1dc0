// One user's workspace: the account, the order form and the orders, with live updates. The data lives in
// hooks (useAccount, useOrders), the open order in the address bar (useRoute).
import { useCallback, useEffect } from 'preact/hooks';
import type { ApiClient } from '../api';
import { isUnavailable, UNAVAILABLE } from '../errors';
import { reasonText, shortId } from '../format';
import { useAccount } from '../hooks/useAccount';
import { useOrders } from '../hooks/useOrders';
import { useRoute } from '../hooks/useRoute';
import { formatRubles } from '../money';
import type { Order } from '../types';
import { AccountCard } from './AccountCard';
import { OrderForm } from './OrderForm';
import { OrdersCard } from './OrdersCard';

const TITLE = 'KPO 4 · Orders & payments';

export function Workspace({ client, announce }: { client: ApiClient; announce: (m: string) => void }) {
  const account = useAccount(client);
  const [route, navigate] = useRoute();
  const openId = route.orderId;

  const { reloadSoon } = account;
  const onSettled = useCallback(
    (settled: Order[]) => {
      for (const o of settled) {
        const why = reasonText(o.failureReason);
        announce(`Order ${formatRubles(o.amount)} “${o.description}” ${o.status.toLowerCase()}${why ? `: ${why}` : ''}.`);
      }
      reloadSoon(); // the balance follows the orders
    },
    [announce, reloadSoon],
  );
  const orders = useOrders(client, openId, onSettled);

  const open = useCallback((id: string | null) => navigate({ orderId: id }), [navigate]);

  // Bring the open order into view once it is listed: after a click, a link from the ledger (the order
  // may have to be fetched first), a reload or an address typed in.
  const openListed = !!openId && orders.byId.has(openId);
  useEffect(() => {
    if (openListed) document.getElementById(`order-${openId}`)?.scrollIntoView({ block: 'nearest' });
  }, [openId, openListed]);

  useEffect(() => {
    document.title = openId ? `Order #${shortId(openId)} · ${TITLE}` : TITLE;
  }, [openId]);

  // Reads retry by themselves while the service is down; say so once, and do not offer to place an
  // order that cannot be placed.
  const unavailable = isUnavailable(account.error) || isUnavailable(orders.error);

  return (
    <>
      {unavailable && (
        <p class="banner" role="status" data-testid="unavailable">
          <span class="spinner" aria-hidden="true" /> {UNAVAILABLE}
        </p>
      )}
      <div class="grid">
        <div class="col">
          <AccountCard client={client} state={account} announce={announce} onOpenOrder={open} />
          <OrderForm
            client={client}
            // Only a known absence (null) earns the tip: not an account still loading or failing to load.
            hasAccount={account.account !== null}
            unavailable={unavailable}
            onPlaced={(o) => {
              orders.add(o);
              announce(`Order placed: ${formatRubles(o.amount)} “${o.description}”, status ${o.status}.`);
            }}
          />
        </div>
        <div class="col">
          <OrdersCard orders={orders} openId={openId} onToggle={(id) => open(openId === id ? null : id)} onClose={() => open(null)} />
        </div>
      </div>
    </>
  );
}
