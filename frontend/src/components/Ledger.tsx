// The account's history: deposits and charges, newest first, each charge linking to its order.
import { useState } from 'preact/hooks';
import { submitErrorText } from '../errors';
import { dateTimeOf, shortId } from '../format';
import type { AccountState } from '../hooks/useAccount';
import { formatRubles, toKopecks } from '../money';

export function Ledger({ state, onOpenOrder }: { state: AccountState; onOpenOrder: (id: string) => void }) {
  const { entries, entriesNext } = state;
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  return (
    <details class="ledger" open={entries.length > 0 && entries.length <= 3 ? true : undefined}>
      <summary>
        History ({entries.length}
        {entriesNext ? '+' : ''})
      </summary>
      {entries.length === 0 ? (
        <p class="muted">No entries yet.</p>
      ) : (
        <ul class="entries" data-testid="entries">
          {entries.map((en) => (
            <li key={en.id} class={`entry ${en.kind}`}>
              <div class="entry-main">
                <span class="entry-kind">{en.kind === 'deposit' ? 'Deposit' : 'Charge'}</span>
                {en.kind === 'charge' && en.orderId && (
                  <a
                    class="link small"
                    href={`/orders/${en.orderId}`}
                    onClick={(e) => {
                      e.preventDefault();
                      onOpenOrder(en.orderId!);
                    }}
                  >
                    for order {shortId(en.orderId)}
                  </a>
                )}
                <time class="muted small" dateTime={en.createdAt}>
                  {dateTimeOf(en.createdAt)}
                </time>
              </div>
              <div class="entry-amounts">
                <span class={`amount ${en.kind === 'deposit' ? 'plus' : 'minus'}`}>
                  {formatRubles(en.kind === 'deposit' ? en.amount : -toKopecks(en.amount), { sign: true })}
                </span>
                <span class="muted small">→ {formatRubles(en.balanceAfter)}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
      {err && (
        <p class="error" role="alert">
          {err}
        </p>
      )}
      {entriesNext && (
        <button
          type="button"
          class="btn ghost wide"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setErr(null);
            try {
              await state.moreEntries();
            } catch (x) {
              setErr(submitErrorText(x));
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? 'Loading…' : 'Show older entries'}
        </button>
      )}
    </details>
  );
}
