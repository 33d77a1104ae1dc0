// Sign in / sign up, opened by a guest. Before anything is sent the guest is told plainly what happens
// to the guest's orders: they stay with the guest session, which the new login does not inherit.
import { useRef, useState } from 'preact/hooks';
import { ApiError, IdempotentSubmission, type ApiClient } from '../api';
import { asSentence, submitErrorText } from '../errors';
import { useSubmit } from '../hooks/useSubmit';
import { sessionFrom, type Session } from '../session';
import { Field } from './Field';

const LABELS = { username: 'Username', password: 'Password' } as const;
// The gateway's rules for a new login (docs/architecture.md), as the form states them up front.
const RULES = {
  username: '3 to 32 characters: letters A–Z, digits and the characters _ . -',
  password: '8 to 128 characters',
} as const;

export function AuthForm(props: { client: ApiClient; onDone: (s: Session) => void; onCancel: () => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  // Empty fields are named here, not sent: the server could only answer that the login is wrong.
  const [missing, setMissing] = useState<{ username?: string; password?: string }>({});
  const sub = useRef(new IdempotentSubmission());
  const submission = useSubmit();
  const { busy, wait } = submission;

  const submit = (e: Event) => {
    e.preventDefault();
    const empty = {
      username: username.trim() === '' ? 'Enter a username' : undefined,
      password: password === '' ? 'Enter a password' : undefined,
    };
    setMissing(empty);
    if (empty.username || empty.password) {
      submission.clearError();
      return;
    }
    void submission.run(async () => {
      const key = sub.current.keyFor({ mode, username, password });
      const auth =
        mode === 'login'
          ? await props.client.login(username, password, key)
          : await props.client.register(username, password, key);
      sub.current.done();
      props.onDone(sessionFrom(auth, 'user', username));
    });
  };
  const switchTo = (m: typeof mode) => {
    setMode(m);
    submission.clearError();
  };

  const err = submission.error instanceof ApiError ? submission.error : null;
  // The server names a field's problem as a predicate ("must be 8 to 128 characters long"): shown
  // under the field as a sentence about it.
  const fieldErr = (f: 'username' | 'password') => missing[f] ?? asSentence(LABELS[f], err?.field(f));
  // Signing up, the rules are shown before anything is sent, not only after a refusal.
  const hint = (f: 'username' | 'password') => (mode === 'register' ? RULES[f] : undefined);
  const describedBy = (f: 'username' | 'password') =>
    fieldErr(f) ? `auth-${f}-err` : hint(f) ? `auth-${f}-hint` : undefined;
  const general = submission.error && !fieldErr('username') && !fieldErr('password') ? submitErrorText(submission.error) : null;

  return (
    <form class="auth" onSubmit={submit} noValidate>
      <div class="dialog-head">
        <h2 id="auth-title">{mode === 'login' ? 'Sign in' : 'Sign up'}</h2>
        <button type="button" class="icon-btn" aria-label="Close" onClick={props.onCancel}>
          ×
        </button>
      </div>
      {/* Two toggle buttons, not tabs: there is one form, not two panels to move between with arrow keys. */}
      <div class="tabs" role="group" aria-label="Sign in or sign up">
        <button type="button" aria-pressed={mode === 'login'} class="tab" onClick={() => switchTo('login')}>
          Sign in
        </button>
        <button type="button" aria-pressed={mode === 'register'} class="tab" onClick={() => switchTo('register')}>
          Sign up
        </button>
      </div>
      <div class="guest-note" id="auth-guest-note" data-testid="guest-note">
        <strong>Your guest orders stay with this guest session.</strong>{' '}
        {mode === 'register'
          ? 'They and the guest’s balance are not moved to the new login, which starts empty. Once you sign up, you will not see them again.'
          : 'They and the guest’s balance are not moved to your login. Once you sign in, you will not see them again.'}
      </div>
      <Field id="auth-username" label="Username" error={fieldErr('username')} hint={hint('username')}>
        <input
          id="auth-username"
          autoFocus
          autoComplete="username"
          value={username}
          onInput={(e) => {
            setUsername(e.currentTarget.value);
            setMissing((m) => ({ ...m, username: undefined }));
          }}
          aria-invalid={!!fieldErr('username')}
          aria-describedby={describedBy('username')}
          required
        />
      </Field>
      <Field id="auth-password" label="Password" error={fieldErr('password')} hint={hint('password')}>
        <input
          id="auth-password"
          type="password"
          autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          value={password}
          onInput={(e) => {
            setPassword(e.currentTarget.value);
            setMissing((m) => ({ ...m, password: undefined }));
          }}
          aria-invalid={!!fieldErr('password')}
          aria-describedby={describedBy('password')}
          required
        />
      </Field>
      {general && (
        <p class="error" role="alert">
          {general}
        </p>
      )}
      <button
        type="submit"
        class="btn primary wide"
        disabled={busy || wait > 0}
        aria-busy={busy}
        aria-describedby="auth-guest-note"
      >
        {busy && <span class="spinner" aria-hidden="true" />}
        {mode === 'login' ? (busy ? 'Signing in…' : 'Sign in') : busy ? 'Creating login…' : 'Sign up'}
        {wait > 0 && ` (${wait} s)`}
      </button>
    </form>
  );
}
