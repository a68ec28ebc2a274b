// The console: sign in with the admin token, then the world, live, in six views.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, ApiError } from './api.ts';
import { WorldStore, type State } from './world.ts';
import { Overview } from './views/overview.tsx';
import { Topology } from './views/topology.tsx';
import { Tables } from './views/tables.tsx';
import { Tasks } from './views/tasks.tsx';
import { Calls } from './views/calls.tsx';
import { Control } from './views/control.tsx';

const VIEWS = [
  ['overview', 'Overview'],
  ['topology', 'Topology'],
  ['tables', 'Tables'],
  ['tasks', 'Tasks'],
  ['calls', 'Calls'],
  ['control', 'Control'],
] as const;
export type ViewName = (typeof VIEWS)[number][0];

const TOKEN_KEY = 'eniplane.adminToken';

function viewFromHash(): ViewName {
  const h = location.hash.replace(/^#\/?/, '');
  return (VIEWS.find(([v]) => v === h)?.[0] ?? 'overview') as ViewName;
}

export function App() {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY));
  if (!token) return <SignIn onSignedIn={(t) => (sessionStorage.setItem(TOKEN_KEY, t), setToken(t))} />;
  return <Console token={token} onSignOut={() => (sessionStorage.removeItem(TOKEN_KEY), setToken(null))} />;
}

function SignIn({ onSignedIn }: { onSignedIn(token: string): void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError('');
    try {
      await new Api(value.trim()).get('transitions');
      onSignedIn(value.trim());
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'That is not the admin token.' : `The server did not answer: ${String(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>eniplane console</h1>
      <form onSubmit={submit}>
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        <p class="hint">
          It is <code>ENIPLANE_ADMIN_TOKEN</code>, or the file <code>data/admin-token</code> eniplane wrote on its first start.
        </p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

function Console({ token, onSignOut }: { token: string; onSignOut(): void }) {
  const api = useMemo(() => new Api(token), [token]);
  const store = useMemo(() => new WorldStore(api), [api]);
  const [state, setState] = useState<State>(store.state);
  const [view, setView] = useState<ViewName>(viewFromHash);
  const [failure, setFailure] = useState('');
  useEffect(() => {
    const off = store.subscribe(() => setState(store.state));
    store.start().catch((e) => (e instanceof ApiError && e.status === 401 ? onSignOut() : setFailure(String(e))));
    const onHash = () => setView(viewFromHash());
    addEventListener('hashchange', onHash);
    return () => {
      off();
      store.close();
      removeEventListener('hashchange', onHash);
    };
  }, [store]);
  return (
    <div class="shell">
      <header>
        <span class="brand">eniplane</span>
        <nav aria-label="Views">
          {VIEWS.map(([v, label]) => (
            <a href={`#/${v}`} aria-current={v === view ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class={`live ${state.live ? 'up' : 'down'}`} role="status" data-live={state.live ? 'up' : 'down'}>
          {state.live ? 'live' : 'connecting…'}
        </span>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {failure && (
        <p class="error" role="alert">
          {failure}
        </p>
      )}
      <main id="view" data-view={view}>
        {view === 'overview' && <Overview state={state} />}
        {view === 'topology' && <Topology state={state} />}
        {view === 'tables' && <Tables state={state} api={api} />}
        {view === 'tasks' && <Tasks state={state} />}
        {view === 'calls' && <Calls state={state} />}
        {view === 'control' && <Control state={state} api={api} store={store} />}
      </main>
    </div>
  );
}
