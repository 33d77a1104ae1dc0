// Placing an order. The form comes prefilled (a random amount and description) so a new visitor can try
// the pipeline with one click. Once an order is placed the form is emptied, with a new example only as
// placeholders: a form that refilled itself was submitted again by a second Enter or click a moment
// later, placing an order with an amount the visitor never chose or saw.
import { useRef, useState } from 'preact/hooks';
import { ApiError, IdempotentSubmission, type ApiClient } from '../api';
import { ignoreRepeatedClicks } from '../clicks';
import { submitErrorText } from '../errors';
import { useSubmit } from '../hooks/useSubmit';
import { formatAmount, formatRubles, parseRubles, randomOrderAmount, toJsonAmount } from '../money';
import type { Order } from '../types';
import { Field } from './Field';

const DESCRIPTIONS = [
  'Coffee beans, 1 kg',
  'Concert tickets ×2',
  'Wireless headphones',
  'Books: distributed systems',
  'Running shoes',
  'Pizza for the team',
  'Houseplant and pot',
  'Train ticket to Kazan',
];

function randomDescription(): string {
  return DESCRIPTIONS[Math.floor(Math.random() * DESCRIPTIONS.length)]!;
}

type LocalErrors = { amount?: string; description?: string };

export function OrderForm(props: { client: ApiClient; onPlaced: (o: Order) => void; hasAccount: boolean; unavailable: boolean }) {
  const [amount, setAmount] = useState(() => formatAmount(randomOrderAmount()));
  const [description, setDescription] = useState(randomDescription);
  const [example, setExample] = useState(() => ({ amount: formatAmount(randomOrderAmount()), description: randomDescription() }));
  const [local, setLocal] = useState<LocalErrors>({});
  // The last order placed, confirmed beside the button: on a phone the list it joins is out of view.
  const [placed, setPlaced] = useState<Order | null>(null);
  // What the form shows now, for the submission's continuation (its closure holds the values of
  // the render that started it).
  const latest = useRef({ amount, description });
  latest.current = { amount, description };
  const sub = useRef(new IdempotentSubmission());
  const submission = useSubmit();
  const { busy, wait } = submission;

  const submit = (e: Event) => {
    e.preventDefault();
    if (props.unavailable) return;
    const parsed = parseRubles(amount);
    const desc = description.trim();
    const len = [...desc].length;
    const next: LocalErrors = {};
    if (!parsed.ok) next.amount = parsed.error;
    if (len === 0) next.description = 'Describe the order';
    else if (len > 500) next.description = `At most 500 characters (now ${len})`;
    setLocal(next);
    if (!parsed.ok || next.description) return;
    setPlaced(null);
    const sentAmount = amount;
    const sentDescription = description;
    void submission.run(async () => {
      const body = { amount: toJsonAmount(parsed.kopecks), description: desc };
      const order = await props.client.createOrder(body.amount, body.description, sub.current.keyFor(body));
      sub.current.done();
      props.onPlaced(order);
      setPlaced(order);
      // The form is emptied only if it still holds what was sent: the list can show the order (a
      // live event may come before this answer) and the visitor may already be typing the next one.
      // Both fields or neither: a kept description beside an emptied amount would be half an order.
      if (latest.current.amount === sentAmount && latest.current.description === sentDescription) {
        setAmount('');
        setDescription('');
        setExample({ amount: formatAmount(randomOrderAmount()), description: randomDescription() });
      }
    });
  };

  const server = submission.error instanceof ApiError ? submission.error : null;
  const errs = {
    amount: local.amount ?? server?.field('amount'),
    description: local.description ?? server?.field('description'),
  };
  const general =
    submission.error && !server?.field('amount') && !server?.field('description') ? submitErrorText(submission.error, 'order') : null;
  const blocked = busy || wait > 0 || props.unavailable;

  return (
    <section class="card" aria-labelledby="order-title">
      <h2 id="order-title">New order</h2>
      {!props.hasAccount && !props.unavailable && (
        <p class="hint">Tip: without an account the order is cancelled — create one above first.</p>
      )}
      <form onSubmit={submit} noValidate class="order-form">
        <Field id="order-amount" label="Amount, ₽" error={errs.amount}>
          <input
            id="order-amount"
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            placeholder={`e.g. ${example.amount}`}
            onInput={(e) => setAmount(e.currentTarget.value)}
            aria-invalid={!!errs.amount}
            aria-describedby={errs.amount ? 'order-amount-err' : undefined}
          />
        </Field>
        <Field id="order-description" label="Description" error={errs.description}>
          <input
            id="order-description"
            autoComplete="off"
            // The limit is 500 characters (code points), checked on submit with a message. maxLength counts
            // UTF-16 units (an emoji is two) and cuts silently: it only stops a runaway paste here.
            maxLength={2000}
            value={description}
            placeholder={`e.g. ${example.description}`}
            onInput={(e) => setDescription(e.currentTarget.value)}
            aria-invalid={!!errs.description}
            aria-describedby={errs.description ? 'order-description-err' : undefined}
          />
        </Field>
        {general && (
          <p class="error" role="alert" data-testid="order-error">
            {general}
          </p>
        )}
        {placed && !general && (
          <p class="hint placed" data-testid="order-placed">
            Placed: {placed.description}, {formatRubles(placed.amount)}. Its status follows in{' '}
            <a href="#orders-title">Orders</a>.
          </p>
        )}
        {props.unavailable && (
          <p class="hint" id="order-unavailable">
            Orders can be placed again once the service is back.
          </p>
        )}
        <button
          type="submit"
          class="btn primary wide"
          disabled={blocked}
          aria-busy={busy}
          aria-describedby={props.unavailable ? 'order-unavailable' : undefined}
          data-testid="place-order"
          onClick={ignoreRepeatedClicks}
        >
          {busy && <span class="spinner" aria-hidden="true" />}
          {busy ? 'Placing order…' : wait > 0 ? `Place order (${wait} s)` : 'Place order'}
        </button>
      </form>
    </section>
  );
}
