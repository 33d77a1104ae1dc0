import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { ApiClient, ApiError, IdempotentSubmission } from './api';
import { LiveUpdates, type LiveMode } from './live';
import { formatAmount, formatRubles, parseRubles, randomOrderAmount, toJsonAmount, toKopecks } from './money';
import { isExpired, loadSession, saveSession, sessionFrom, type Session } from './session';
import type { Account, LedgerEntry, Order } from './types';

const DEFAULT_TOP_UP = 500_000n; // 5 000.00 ₽
const PAGE = 10;
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

export function reasonText(reason: string | null): string | null {
  switch (reason) {
    case null:
    case undefined:
    case '':
      return null;
    case 'insufficient_funds':
      return 'Not enough money on the account';
    case 'account_not_found':
      return 'No account yet — create one first';
    default:
      return reason.replace(/_/g, ' ');
  }
}

const STEP_LABELS: Record<string, string> = {
  created: 'Created',
  published: 'Published',
  payment_succeeded: 'Paid',
  payment_failed: 'Payment failed',
  finished: 'Finished',
  cancelled: 'Cancelled',
};

function shortId(id: string): string {
  return id.slice(0, 8);
}

function timeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function dateTimeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function errorMessage(e: unknown): string {
  return e instanceof ApiError ? e.detail : 'Something went wrong — please try again.';
}

function msText(ms: number): string {
  return `${Math.max(0, Math.round(ms)).toLocaleString('en-US').replace(/,/g, '\u202f')} ms`;
}

// ---------------------------------------------------------------------------------------------
// App: the session, then a workspace for that user (re-mounted whenever the user changes).

export function App() {
  const [session, setSessionState] = useState<Session | null>(() => loadSession());
  const sessionRef = useRef(session);
  const [bootError, setBootError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const renewing = useRef<Promise<boolean> | null>(null);

  const setSession = useCallback((s: Session | null) => {
    sessionRef.current = s;
    saveSession(s);
    setSessionState(s);
  }, []);

  const announce = useCallback((msg: string) => {
    // Clearing first makes screen readers repeat an identical message.
    setAnnouncement('');
    setTimeout(() => setAnnouncement(msg), 50);
  }, []);

  const client = useMemo(
    () =>
      new ApiClient({
        getToken: () => sessionRef.current?.token ?? null,
        onUnauthorized: () => {
          // One renewal at a time, whatever number of requests failed together.
          renewing.current ??= (async () => {
            const was = sessionRef.current;
            try {
              const auth = await client.guest();
              setSession(sessionFrom(auth, 'guest'));
              if (was?.kind === 'user') setNotice('Your session expired, so you are a guest now. Sign in again to see your orders.');
              // Only a guest's request is retried: a signed-in user's must not land in a new guest account.
              return was?.kind !== 'user';
            } catch {
              return false;
            } finally {
              setTimeout(() => (renewing.current = null), 0);
            }
          })();
          return renewing.current;
        },
      }),
    [setSession],
  );

  const startGuest = useCallback(async () => {
    setBootError(null);
    try {
      setSession(sessionFrom(await client.guest(), 'guest'));
    } catch (e) {
      setBootError(errorMessage(e));
    }
  }, [client, setSession]);

  useEffect(() => {
    const s = sessionRef.current;
    if (!s) void startGuest();
    else if (isExpired(s)) {
      if (s.kind === 'user') setNotice('Your session expired — you are a guest now. Sign in again to see your orders.');
      void startGuest();
    }
  }, [startGuest]);

  return (
    <div class="app">
      <Header
        session={session}
        client={client}
        onSession={(s) => {
          setNotice(null);
          setSession(s);
          announce(s.kind === 'user' ? `Signed in as ${s.username}` : 'Signed out. You are a guest now.');
        }}
        onSignOut={() => {
          setNotice(null);
          void startGuest().then(() => announce('Signed out. You are a guest now.'));
        }}
      />
      <main id="main" class="main">
        {notice && (
          <div class="notice" role="status">
            {notice}
            <button type="button" class="link" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          </div>
        )}
        {session && !isExpired(session) ? (
          <Workspace key={session.userId} client={client} announce={announce} />
        ) : bootError ? (
          <section class="card boot" aria-labelledby="boot-title">
            <h2 id="boot-title">Could not start a session</h2>
            <p class="error" role="alert">
              {bootError}
            </p>
            <button type="button" class="btn primary" onClick={() => void startGuest()}>
              Try again
            </button>
          </section>
        ) : (
          <section class="card boot" aria-busy="true">
            <p>
              <span class="spinner" aria-hidden="true" /> Starting a guest session…
            </p>
          </section>
        )}
      </main>
      <footer class="footer">KPO 4 · orders are paid asynchronously through RabbitMQ; statuses update live.</footer>
      <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="live-region">
        {announcement}
      </div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Header with the session chip and the sign-in / sign-up dialog.

function Header(props: {
  session: Session | null;
  client: ApiClient;
  onSession: (s: Session) => void;
  onSignOut: () => void;
}) {
  const { session } = props;
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const d = dialogRef.current;
    if (!d) return;
    if (open && !d.open) d.showModal?.();
    if (!open && d.open) d.close();
  }, [open]);

  return (
    <header class="header">
      <div class="brand">
        <span class="logo" aria-hidden="true">
          K4
        </span>
        <div>
          <h1>KPO 4</h1>
          <p class="tagline">Orders & payments</p>
        </div>
      </div>
      <div class="who" data-testid="session">
        {session ? (
          <>
            <span class="chip" title={`User id ${session.userId}`} data-user-id={session.userId}>
              <span class={`dot ${session.kind}`} aria-hidden="true" />
              {session.kind === 'user' ? session.username : `Guest ${shortId(session.userId)}`}
            </span>
            {session.kind === 'user' ? (
              <button type="button" class="btn ghost" onClick={props.onSignOut}>
                Sign out
              </button>
            ) : (
              <button type="button" class="btn ghost" onClick={() => setOpen(true)} aria-haspopup="dialog">
                Sign in / Sign up
              </button>
            )}
          </>
        ) : (
          <span class="chip muted">No session</span>
        )}
      </div>
      <dialog ref={dialogRef} class="dialog" aria-labelledby="auth-title" onClose={() => setOpen(false)}>
        {open && (
          <AuthForm
            client={props.client}
            onDone={(s) => {
              setOpen(false);
              props.onSession(s);
            }}
            onCancel={() => setOpen(false)}
          />
        )}
      </dialog>
    </header>
  );
}

function AuthForm(props: { client: ApiClient; onDone: (s: Session) => void; onCancel: () => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const sub = useRef(new IdempotentSubmission());
  const busyRef = useRef(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    setErr(null);
    try {
      const key = sub.current.keyFor({ mode, username, password });
      const auth =
        mode === 'login'
          ? await props.client.login(username, password, key)
          : await props.client.register(username, password, key);
      sub.current.done();
      props.onDone(sessionFrom(auth, 'user', username));
    } catch (x) {
      setErr(x instanceof ApiError ? x : new ApiError({ status: 0 }));
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  };

  const fieldErr = (f: string) => err?.field(f);
  const general = err && !fieldErr('username') && !fieldErr('password') ? err.detail : null;

  return (
    <form class="auth" onSubmit={submit} noValidate>
      <div class="dialog-head">
        <h2 id="auth-title">{mode === 'login' ? 'Sign in' : 'Sign up'}</h2>
        <button type="button" class="icon-btn" aria-label="Close" onClick={props.onCancel}>
          ×
        </button>
      </div>
      <div class="tabs" role="tablist" aria-label="Sign in or sign up">
        <button type="button" role="tab" aria-selected={mode === 'login'} class="tab" onClick={() => (setMode('login'), setErr(null))}>
          Sign in
        </button>
        <button type="button" role="tab" aria-selected={mode === 'register'} class="tab" onClick={() => (setMode('register'), setErr(null))}>
          Sign up
        </button>
      </div>
      <p class="hint">
        {mode === 'register'
          ? 'A new login starts with its own account and orders; the guest session is left behind.'
          : 'Sign in to see the orders and balance of your login.'}
      </p>
      <Field id="auth-username" label="Username" error={fieldErr('username')}>
        <input
          id="auth-username"
          autoFocus
          autoComplete="username"
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
          aria-invalid={!!fieldErr('username')}
          aria-describedby={fieldErr('username') ? 'auth-username-err' : undefined}
          required
        />
      </Field>
      <Field id="auth-password" label="Password" error={fieldErr('password')}>
        <input
          id="auth-password"
          type="password"
          autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          aria-invalid={!!fieldErr('password')}
          aria-describedby={fieldErr('password') ? 'auth-password-err' : undefined}
          required
        />
      </Field>
      {general && (
        <p class="error" role="alert">
          {general}
        </p>
      )}
      <button type="submit" class="btn primary wide" disabled={busy} aria-busy={busy}>
        {busy && <span class="spinner" aria-hidden="true" />}
        {mode === 'login' ? (busy ? 'Signing in…' : 'Sign in') : busy ? 'Creating login…' : 'Sign up'}
      </button>
    </form>
  );
}

function Field(props: { id: string; label: string; error?: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class={`field${props.error ? ' invalid' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.error ? (
        <p class="field-error" id={`${props.id}-err`} role="alert">
          {props.error}
        </p>
      ) : (
        props.hint && (
          <p class="field-hint" id={`${props.id}-hint`}>
            {props.hint}
          </p>
        )
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Workspace: account, order form, orders — with live updates.

// created, published, payment_succeeded | payment_failed, finished | cancelled
const FINAL_TIMELINE_STEPS = 4;

function isFinal(o: Order) {
  return o.status !== 'Created';
}

function newerOf(a: Order | undefined, b: Order): Order {
  if (!a) return b;
  if (isFinal(a) && !isFinal(b)) return a;
  if (isFinal(b) && !isFinal(a)) return b;
  if ((b.timeline?.length ?? 0) < (a.timeline?.length ?? 0)) return a;
  return b;
}

function Workspace({ client, announce }: { client: ApiClient; announce: (m: string) => void }) {
  const [account, setAccount] = useState<Account | null | undefined>(undefined);
  const [accountErr, setAccountErr] = useState<string | null>(null);
  const [entries, setEntries] = useState<LedgerEntry[]>([]);
  const [entriesNext, setEntriesNext] = useState<string | null>(null);
  const [orders, setOrders] = useState<Map<string, Order>>(new Map());
  const ordersRef = useRef(orders);
  const [ordersNext, setOrdersNext] = useState<string | null | undefined>(undefined);
  const [ordersErr, setOrdersErr] = useState<string | null>(null);
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [selected, setSelected] = useState<string | null>(null);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  const loadAccount = useCallback(async () => {
    try {
      const [acc, page] = await Promise.all([client.myAccount(), client.entries(PAGE)]);
      if (!alive.current) return;
      setAccount(acc);
      setEntries(page.items);
      setEntriesNext(page.next);
      setAccountErr(null);
    } catch (e) {
      if (!alive.current) return;
      if (e instanceof ApiError && e.status === 404) {
        setAccount(null);
        setEntries([]);
        setEntriesNext(null);
        setAccountErr(null);
      } else setAccountErr(errorMessage(e));
    }
  }, [client]);

  // Balance follows the orders: reload the account shortly after an order reaches a final state.
  const accountTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const scheduleAccount = useCallback(() => {
    if (accountTimer.current) clearTimeout(accountTimer.current);
    accountTimer.current = setTimeout(() => void loadAccount(), 150);
  }, [loadAccount]);

  const merge = useCallback(
    (list: Order[], opts: { announceChanges?: boolean } = {}) => {
      const cur = ordersRef.current;
      let changed = false;
      let finals = false;
      const next = new Map(cur);
      for (const o of list) {
        const prev = cur.get(o.id);
        const winner = newerOf(prev, o);
        if (winner !== prev) {
          next.set(o.id, winner);
          changed = true;
          if (prev && prev.status !== winner.status && isFinal(winner)) {
            finals = true;
            if (opts.announceChanges !== false) {
              const why = reasonText(winner.failureReason);
              announce(
                `Order ${formatRubles(winner.amount)} “${winner.description}” ${winner.status.toLowerCase()}${why ? `: ${why}` : ''}.`,
              );
            }
          }
        }
      }
      if (changed) {
        ordersRef.current = next;
        setOrders(next);
      }
      if (finals) scheduleAccount();
    },
    [announce, scheduleAccount],
  );

  const resync = useCallback(async () => {
    const n = Math.min(100, Math.max(PAGE, ordersRef.current.size));
    const page = await client.orders(n);
    if (!alive.current) return;
    merge(page.items);
    setOrdersErr(null);
  }, [client, merge]);

  const loadMoreOrders = useCallback(async () => {
    try {
      const page = await client.orders(PAGE, ordersNext);
      if (!alive.current) return;
      merge(page.items, { announceChanges: false });
      setOrdersNext(page.next);
      setOrdersErr(null);
    } catch (e) {
      if (alive.current) setOrdersErr(errorMessage(e));
    }
  }, [client, merge, ordersNext]);

  useEffect(() => {
    void loadAccount();
    void client
      .orders(PAGE)
      .then((page) => {
        if (!alive.current) return;
        merge(page.items, { announceChanges: false });
        setOrdersNext(page.next);
      })
      .catch((e) => alive.current && (setOrdersErr(errorMessage(e)), setOrdersNext(null)));
    const live = new LiveUpdates({
      url: (last) => client.eventsUrl(last),
      onOrder: (o) => merge([o]),
      resync,
      onMode: setMode,
    });
    live.start();
    return () => live.stop();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client]);

  const sorted = useMemo(
    () =>
      Array.from(orders.values()).sort((a, b) =>
        a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1,
      ),
    [orders],
  );

  // The "published" step is recorded once the broker has confirmed the event, and the payment can be
  // processed before that record lands: a final order may briefly lack it. While its details are open,
  // fetch the order again (backing off) until its timeline is whole.
  const selectedOrder = selected ? orders.get(selected) : undefined;
  const timelineIncomplete =
    !!selectedOrder && isFinal(selectedOrder) && (selectedOrder.timeline?.length ?? 0) < FINAL_TIMELINE_STEPS;
  useEffect(() => {
    if (!selected || !timelineIncomplete) return;
    let attempt = 0;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refetch = () => {
      client
        .order(selected)
        .then((o) => !stopped && alive.current && merge([o], { announceChanges: false }))
        .catch(() => undefined) // the next attempt will try again
        .finally(() => {
          if (!stopped && ++attempt < 6) timer = setTimeout(refetch, 200 * 2 ** attempt);
        });
    };
    refetch();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, merge, selected, timelineIncomplete]);

  const onPlaced = useCallback(
    (o: Order) => {
      merge([o], { announceChanges: false });
      announce(`Order placed: ${formatRubles(o.amount)} “${o.description}”, status ${o.status}.`);
    },
    [merge, announce],
  );

  return (
    <div class="grid">
      <div class="col">
        <AccountCard
          client={client}
          account={account}
          error={accountErr}
          entries={entries}
          entriesNext={entriesNext}
          onMoreEntries={async () => {
            const page = await client.entries(PAGE, entriesNext);
            setEntries((cur) => [...cur, ...page.items.filter((x) => !cur.some((c) => c.id === x.id))]);
            setEntriesNext(page.next);
          }}
          reload={loadAccount}
          announce={announce}
          onOpenOrder={(id) => {
            setSelected(id);
            if (!ordersRef.current.has(id)) void client.order(id).then((o) => merge([o], { announceChanges: false }));
            setTimeout(() => document.getElementById(`order-${id}`)?.scrollIntoView({ block: 'nearest', behavior: 'smooth' }), 50);
          }}
        />
        <OrderForm client={client} onPlaced={onPlaced} hasAccount={!!account} />
      </div>
      <div class="col">
        <OrdersCard
          orders={sorted}
          mode={mode}
          next={ordersNext}
          error={ordersErr}
          onMore={loadMoreOrders}
          selected={selected}
          onSelect={(id) => setSelected((cur) => (cur === id ? null : id))}
        />
      </div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Account

function AccountCard(props: {
  client: ApiClient;
  account: Account | null | undefined;
  error: string | null;
  entries: LedgerEntry[];
  entriesNext: string | null;
  onMoreEntries: () => Promise<void>;
  reload: () => Promise<void>;
  announce: (m: string) => void;
  onOpenOrder: (id: string) => void;
}) {
  const { account, client } = props;
  const [amount, setAmount] = useState(formatAmount(DEFAULT_TOP_UP));
  const [amountErr, setAmountErr] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const busyRef = useRef(false);
  const createSub = useRef(new IdempotentSubmission());
  const depositSub = useRef(new IdempotentSubmission());
  const [moreBusy, setMoreBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busyRef.current) return;
    const parsed = parseRubles(amount);
    if (!parsed.ok) {
      setAmountErr(parsed.error);
      return;
    }
    setAmountErr(null);
    setErr(null);
    busyRef.current = true;
    try {
      if (!account) {
        setBusy('Creating account…');
        try {
          await client.createAccount(createSub.current.keyFor({ create: true }));
        } catch (x) {
          if (!(x instanceof ApiError && x.status === 409)) throw x; // 409: it exists already — fine
        }
        createSub.current.done();
      }
      setBusy(`Adding ${formatRubles(parsed.kopecks)}…`);
      const body = { amount: toJsonAmount(parsed.kopecks) };
      const res = await client.deposit(body.amount, depositSub.current.keyFor(body));
      depositSub.current.done();
      props.announce(`${formatRubles(parsed.kopecks)} added. Balance ${formatRubles(res.balance)}.`);
      await props.reload();
    } catch (x) {
      const ae = x instanceof ApiError ? x : null;
      if (ae?.field('amount')) setAmountErr(ae.field('amount')!);
      else setErr(errorMessage(x));
      if (!account) void props.reload();
    } finally {
      busyRef.current = false;
      setBusy(null);
    }
  };

  return (
    <section class="card" aria-labelledby="account-title" data-testid="account">
      <h2 id="account-title">Account</h2>
      {props.error && (
        <p class="error" role="alert">
          {props.error}{' '}
          <button type="button" class="link" onClick={() => void props.reload()}>
            Retry
          </button>
        </p>
      )}
      {account === undefined && !props.error ? (
        <div class="skeleton" aria-busy="true" aria-label="Loading account" />
      ) : account ? (
        <div class="balance">
          <span class="balance-label">Balance</span>
          <output class="balance-value" data-testid="balance" aria-live="polite">
            {formatRubles(account.balance)}
          </output>
        </div>
      ) : (
        account === null && <p class="muted">You have no account yet. Create one and top it up to place orders.</p>
      )}
      {account !== undefined && (
        <form class="row-form" onSubmit={submit} noValidate>
          <Field id="topup-amount" label={account ? 'Top up, ₽' : 'Initial top-up, ₽'} error={amountErr ?? undefined}>
            <input
              id="topup-amount"
              inputMode="decimal"
              autoComplete="off"
              value={amount}
              onInput={(e) => setAmount(e.currentTarget.value)}
              aria-invalid={!!amountErr}
              aria-describedby={amountErr ? 'topup-amount-err' : undefined}
            />
          </Field>
          <button type="submit" class="btn primary" disabled={!!busy} aria-busy={!!busy} data-testid={account ? 'top-up' : 'create-account'}>
            {busy && <span class="spinner" aria-hidden="true" />}
            {busy ?? (account ? 'Top up' : 'Create account')}
          </button>
        </form>
      )}
      {err && (
        <p class="error" role="alert">
          {err}
        </p>
      )}
      {account && (
        <details class="ledger" open={props.entries.length > 0 && props.entries.length <= 3 ? true : undefined}>
          <summary>History ({props.entries.length}{props.entriesNext ? '+' : ''})</summary>
          {props.entries.length === 0 ? (
            <p class="muted">No entries yet.</p>
          ) : (
            <ul class="entries" data-testid="entries">
              {props.entries.map((en) => (
                <li key={en.id} class={`entry ${en.kind}`}>
                  <div class="entry-main">
                    <span class="entry-kind">{en.kind === 'deposit' ? 'Deposit' : 'Charge'}</span>
                    {en.kind === 'charge' && en.orderId && (
                      <button type="button" class="link small" onClick={() => props.onOpenOrder(en.orderId!)}>
                        for order {shortId(en.orderId)}
                      </button>
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
          {props.entriesNext && (
            <button
              type="button"
              class="btn ghost wide"
              disabled={moreBusy}
              onClick={async () => {
                setMoreBusy(true);
                try {
                  await props.onMoreEntries();
                } catch (x) {
                  setErr(errorMessage(x));
                } finally {
                  setMoreBusy(false);
                }
              }}
            >
              {moreBusy ? 'Loading…' : 'Show older entries'}
            </button>
          )}
        </details>
      )}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Placing an order

function OrderForm(props: { client: ApiClient; onPlaced: (o: Order) => void; hasAccount: boolean }) {
  const [amount, setAmount] = useState(() => formatAmount(randomOrderAmount()));
  const [description, setDescription] = useState(randomDescription);
  const [errs, setErrs] = useState<{ amount?: string; description?: string; general?: string }>({});
  const [busy, setBusy] = useState(false);
  const busyRef = useRef(false);
  const sub = useRef(new IdempotentSubmission());

  const submit = async (e: Event) => {
    e.preventDefault();
    // A ref, not state: a double click delivers two events before the button re-renders as disabled.
    if (busyRef.current) return;
    const parsed = parseRubles(amount);
    const desc = description.trim();
    const len = [...desc].length;
    const next: typeof errs = {};
    if (!parsed.ok) next.amount = parsed.error;
    if (len === 0) next.description = 'Describe the order';
    else if (len > 500) next.description = `At most 500 characters (now ${len})`;
    setErrs(next);
    if (!parsed.ok || next.description) return;
    busyRef.current = true;
    setBusy(true);
    try {
      const body = { amount: toJsonAmount(parsed.kopecks), description: desc };
      const order = await props.client.createOrder(body.amount, body.description, sub.current.keyFor(body));
      sub.current.done();
      props.onPlaced(order);
      setAmount(formatAmount(randomOrderAmount()));
      setDescription(randomDescription());
    } catch (x) {
      const ae = x instanceof ApiError ? x : null;
      setErrs({
        amount: ae?.field('amount'),
        description: ae?.field('description'),
        general: ae?.field('amount') || ae?.field('description') ? undefined : errorMessage(x),
      });
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="order-title">
      <h2 id="order-title">New order</h2>
      {!props.hasAccount && <p class="hint">Tip: without an account the order is cancelled — create one above first.</p>}
      <form onSubmit={submit} noValidate class="order-form">
        <Field id="order-amount" label="Amount, ₽" error={errs.amount}>
          <input
            id="order-amount"
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            onInput={(e) => setAmount(e.currentTarget.value)}
            aria-invalid={!!errs.amount}
            aria-describedby={errs.amount ? 'order-amount-err' : undefined}
          />
        </Field>
        <Field id="order-description" label="Description" error={errs.description}>
          <input
            id="order-description"
            autoComplete="off"
            maxLength={500}
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
            aria-invalid={!!errs.description}
            aria-describedby={errs.description ? 'order-description-err' : undefined}
          />
        </Field>
        {errs.general && (
          <p class="error" role="alert">
            {errs.general}
          </p>
        )}
        <button type="submit" class="btn primary wide" disabled={busy} aria-busy={busy} data-testid="place-order">
          {busy && <span class="spinner" aria-hidden="true" />}
          {busy ? 'Placing order…' : 'Place order'}
        </button>
      </form>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Orders

const MODE_TEXT: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  polling: 'Reconnecting · polling every 2 s',
};

function OrdersCard(props: {
  orders: Order[];
  mode: LiveMode;
  next: string | null | undefined;
  error: string | null;
  onMore: () => Promise<void>;
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const [busy, setBusy] = useState(false);
  return (
    <section class="card orders-card" aria-labelledby="orders-title">
      <div class="card-head">
        <h2 id="orders-title">Orders</h2>
        <span class={`conn ${props.mode}`} data-testid="connection" title="Live updates">
          <span class="dot" aria-hidden="true" />
          {MODE_TEXT[props.mode]}
        </span>
      </div>
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      {props.next === undefined && props.orders.length === 0 ? (
        <div class="skeleton" aria-busy="true" aria-label="Loading orders" />
      ) : props.orders.length === 0 ? (
        <p class="muted empty">No orders yet. Place one — it appears here at once and updates live.</p>
      ) : (
        <ul class="orders" data-testid="orders">
          {props.orders.map((o) => (
            <OrderItem key={o.id} order={o} open={props.selected === o.id} onToggle={() => props.onSelect(o.id)} />
          ))}
        </ul>
      )}
      {props.next && (
        <button
          type="button"
          class="btn ghost wide"
          disabled={busy}
          aria-busy={busy}
          onClick={async () => {
            setBusy(true);
            await props.onMore();
            setBusy(false);
          }}
        >
          {busy ? 'Loading…' : 'Show older orders'}
        </button>
      )}
    </section>
  );
}

function Badge({ status }: { status: string }) {
  return <span class={`badge ${status.toLowerCase()}`}>{status}</span>;
}

function OrderItem({ order, open, onToggle }: { order: Order; open: boolean; onToggle: () => void }) {
  const why = reasonText(order.failureReason);
  const detailsId = `order-${order.id}-details`;
  return (
    <li class={`order ${order.status.toLowerCase()}${open ? ' open' : ''}`} id={`order-${order.id}`} data-order-id={order.id} data-status={order.status}>
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
        </div>
      )}
    </li>
  );
}

const HOP_COLORS = ['#6366f1', '#0ea5e9', '#14b8a6', '#a855f7'];

export function hops(timeline: { step: string; at: string }[]): { from: string; to: string; ms: number }[] {
  const out: { from: string; to: string; ms: number }[] = [];
  for (let i = 1; i < timeline.length; i++) {
    const a = Date.parse(timeline[i - 1]!.at);
    const b = Date.parse(timeline[i]!.at);
    out.push({ from: timeline[i - 1]!.step, to: timeline[i]!.step, ms: Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, b - a) : 0 });
  }
  return out;
}

function Timeline({ order }: { order: Order }) {
  const tl = order.timeline ?? [];
  const hs = hops(tl);
  const total = hs.reduce((s, h) => s + h.ms, 0);
  const max = Math.max(1, ...hs.map((h) => h.ms));
  const pending = order.status === 'Created';
  const expected = ['created', 'published', 'payment', 'final'];
  const missing = pending ? expected.length - tl.length : 0;
  return (
    <div class="timeline" data-testid="timeline">
      <div class="tl-head">
        <h3>Timeline</h3>
        <span class="muted small">
          {hs.length ? `total ${msText(total)}` : 'waiting for the first hop…'}
        </span>
      </div>
      {hs.length > 0 && (
        <div class="tl-stack" role="img" aria-label={`Time between hops: ${hs.map((h) => `${STEP_LABELS[h.to] ?? h.to} after ${msText(h.ms)}`).join(', ')}`}>
          {hs.map((h, i) => (
            <span
              key={i}
              class="tl-seg"
              style={{ flexGrow: Math.max(h.ms, total / 40 || 1), background: HOP_COLORS[i % HOP_COLORS.length] }}
              title={`${STEP_LABELS[h.from] ?? h.from} → ${STEP_LABELS[h.to] ?? h.to}: ${msText(h.ms)}`}
            />
          ))}
          {pending && <span class="tl-seg pending" style={{ flexGrow: Math.max(total / 4, 1) }} />}
        </div>
      )}
      <ol class="tl-steps">
        {tl.map((s, i) => {
          const h = i > 0 ? hs[i - 1]! : null;
          return (
            <li key={s.step} class={`tl-step ${s.step}`}>
              <span class="tl-dot" aria-hidden="true" style={{ background: i > 0 ? HOP_COLORS[(i - 1) % HOP_COLORS.length] : '#94a3b8' }} />
              <span class="tl-name">{STEP_LABELS[s.step] ?? s.step}</span>
              <time class="muted small mono" dateTime={s.at}>
                {timeOf(s.at)}
              </time>
              <span class="tl-bar-wrap" aria-hidden="true">
                {h && <span class="tl-bar" style={{ width: `${Math.max(2, (h.ms / max) * 100)}%`, background: HOP_COLORS[(i - 1) % HOP_COLORS.length] }} />}
              </span>
              <span class="tl-ms mono">{h ? `+${msText(h.ms)}` : 'start'}</span>
            </li>
          );
        })}
        {Array.from({ length: Math.max(0, missing) }, (_, i) => (
          <li key={`p${i}`} class="tl-step waiting">
            <span class="tl-dot" aria-hidden="true" />
            <span class="tl-name muted">{['Created', 'Published', 'Payment', 'Finished / Cancelled'][tl.length + i]}</span>
            <span class="muted small">waiting…</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
