// The app: a session (a guest one by default), then a workspace for that user, re-mounted whenever the
// user changes so nothing of the previous user's state survives.
import { useCallback, useState } from 'preact/hooks';
import { loadErrorText } from '../errors';
import { useSession } from '../hooks/useSession';
import { isExpired } from '../session';
import { Header } from './Header';
import { Workspace } from './Workspace';

export function App() {
  const { session, client, bootError, notice, dismissNotice, setSession, startGuest } = useSession();
  const [announcement, setAnnouncement] = useState('');

  const announce = useCallback((msg: string) => {
    // Clearing first makes screen readers repeat an identical message.
    setAnnouncement('');
    setTimeout(() => setAnnouncement(msg), 50);
  }, []);

  return (
    <div class="app">
      <Header
        session={session}
        client={client}
        onSession={(s) => {
          setSession(s);
          announce(s.kind === 'user' ? `Signed in as ${s.username}` : 'Signed out. You are a guest now.');
        }}
        onSignOut={() => {
          // The open order was the login's: the new guest would only be told it is not found.
          if (location.pathname !== '/') history.replaceState(null, '', '/');
          void startGuest().then(() => announce('Signed out. You are a guest now.'));
        }}
      />
      <main id="main" class="main">
        {notice && (
          <div class="notice" role="status">
            {notice}
            <button type="button" class="link" onClick={dismissNotice}>
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
              {loadErrorText(bootError)}
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
