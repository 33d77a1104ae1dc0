// The header: the session chip, sign out, and the sign-in / sign-up dialog for a guest.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api';
import { shortId } from '../format';
import type { Session } from '../session';
import { AuthForm } from './AuthForm';

export function Header(props: { session: Session | null; client: ApiClient; onSession: (s: Session) => void; onSignOut: () => void }) {
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
