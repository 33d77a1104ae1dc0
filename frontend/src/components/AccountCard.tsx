// The account: balance, "Create account" / "Top up", and the ledger.
import { useRef, useState } from 'preact/hooks';
import { ApiError, IdempotentSubmission, type ApiClient } from '../api';
import { ignoreRepeatedClicks } from '../clicks';
import { isUnavailable, loadErrorText, submitErrorText } from '../errors';
import type { AccountState } from '../hooks/useAccount';
import { useSubmit } from '../hooks/useSubmit';
import { formatAmount, formatRubles, parseRubles, toJsonAmount } from '../money';
import { Field } from './Field';
import { Ledger } from './Ledger';

const DEFAULT_TOP_UP = 500_000n; // 5 000.00 ₽

export function AccountCard(props: {
  client: ApiClient;
  state: AccountState;
  announce: (m: string) => void;
  onOpenOrder: (id: string) => void;
}) {
  const { client, state } = props;
  const { account } = state;
  const [amount, setAmount] = useState(formatAmount(DEFAULT_TOP_UP));
  const [amountErr, setAmountErr] = useState<string | null>(null);
  const [busyText, setBusyText] = useState<string | null>(null);
  const createSub = useRef(new IdempotentSubmission());
  const depositSub = useRef(new IdempotentSubmission());
  const submission = useSubmit();
  const { busy, wait } = submission;

  const submit = (e: Event) => {
    e.preventDefault();
    const parsed = parseRubles(amount);
    if (!parsed.ok) {
      setAmountErr(parsed.error);
      return;
    }
    setAmountErr(null);
    const hadAccount = !!account;
    void submission
      .run(async () => {
        if (!hadAccount) {
          setBusyText('Creating account…');
          try {
            await client.createAccount(createSub.current.keyFor({ create: true }));
          } catch (x) {
            if (!(x instanceof ApiError && x.status === 409)) throw x; // 409: it exists already — fine
          }
          createSub.current.done();
        }
        setBusyText(`Adding ${formatRubles(parsed.kopecks)}…`);
        const body = { amount: toJsonAmount(parsed.kopecks) };
        let res;
        try {
          res = await client.deposit(body.amount, depositSub.current.keyFor(body));
        } catch (x) {
          depositSub.current.failed(x);
          throw x;
        }
        depositSub.current.done();
        props.announce(`${formatRubles(parsed.kopecks)} added. Balance ${formatRubles(res.balance)}.`);
        await state.reload();
      })
      .then((outcome) => {
        if (outcome === 'skipped') return;
        setBusyText(null);
        // The account may exist even though the deposit failed.
        if (outcome === 'failed' && !hadAccount) void state.reload();
      });
  };

  const err = submission.error;
  const fieldErr = err instanceof ApiError ? err.field('amount') : undefined;
  // An unavailable service is announced once for the whole page (Workspace).
  const loadErr = state.error && !isUnavailable(state.error) ? loadErrorText(state.error) : null;

  return (
    <section class="card" aria-labelledby="account-title" data-testid="account">
      <h2 id="account-title">Account</h2>
      {loadErr && (
        <p class="error" role="alert">
          {loadErr}{' '}
          <button type="button" class="link" onClick={() => void state.reload()}>
            Retry
          </button>
        </p>
      )}
      {account === undefined ? (
        isUnavailable(state.error) ? (
          <p class="muted">Your balance will show here once the service is back.</p>
        ) : (
          !state.error && <div class="skeleton" aria-busy="true" aria-label="Loading account" />
        )
      ) : account ? (
        <div class="balance">
          <span class="balance-label">Balance</span>
          <output class="balance-value" data-testid="balance" aria-live="polite">
            {formatRubles(account.balance)}
          </output>
        </div>
      ) : (
        <p class="muted">You have no account yet. Create one and top it up to place orders.</p>
      )}
      {account !== undefined && (
        <form class="row-form" onSubmit={submit} noValidate>
          <Field id="topup-amount" label={account ? 'Top up, ₽' : 'Initial top-up, ₽'} error={amountErr ?? fieldErr}>
            <input
              id="topup-amount"
              inputMode="decimal"
              autoComplete="off"
              value={amount}
              onInput={(e) => setAmount(e.currentTarget.value)}
              aria-invalid={!!(amountErr ?? fieldErr)}
              aria-describedby={amountErr ?? fieldErr ? 'topup-amount-err' : undefined}
            />
          </Field>
          <button
            type="submit"
            class="btn primary"
            disabled={busy || wait > 0}
            aria-busy={busy}
            data-testid={account ? 'top-up' : 'create-account'}
            onClick={ignoreRepeatedClicks}
          >
            {busy && <span class="spinner" aria-hidden="true" />}
            {busy ? busyText : account ? 'Top up' : 'Create account'}
            {wait > 0 && ` (${wait} s)`}
          </button>
        </form>
      )}
      {err && !fieldErr && (
        <p class="error" role="alert">
          {submitErrorText(err)}
        </p>
      )}
      {account && <Ledger state={state} onOpenOrder={props.onOpenOrder} />}
    </section>
  );
}
