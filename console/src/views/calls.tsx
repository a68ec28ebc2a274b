// Calls: the audit trail (every state-changing call, accepted or refused), filterable.
import { useState } from 'preact/hooks';
import type { State } from '../world.ts';

const OK = new Set(['Success', '200']);

export function Calls({ state }: { state: State }) {
  const [account, setAccount] = useState('');
  const [dialect, setDialect] = useState('');
  const [action, setAction] = useState('');
  const [result, setResult] = useState('');
  // The console's own reads are audited too; they are hidden unless asked for.
  const [mine, setMine] = useState(false);
  const dialects = [...new Set(state.calls.map((c) => c.dialect))].sort();
  const shown = state.calls.filter(
    (c) =>
      (!account || c.accountId === account) &&
      (!dialect || c.dialect === dialect) &&
      (!action || c.action.toLowerCase().includes(action.toLowerCase())) &&
      (!result || (result === 'ok') === OK.has(c.resultCode)) &&
      (mine || c.dialect !== 'admin' || dialect === 'admin'),
  );
  return (
    <section aria-labelledby="calls-title">
      <h1 id="calls-title">Calls</h1>
      <div class="filters">
        <label>
          Account{' '}
          <select value={account} onChange={(e) => setAccount((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {state.world.accounts.map((a) => (
              <option value={a.id}>
                {a.name} ({a.id})
              </option>
            ))}
          </select>
        </label>
        <label>
          Dialect{' '}
          <select value={dialect} onChange={(e) => setDialect((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {dialects.map((d) => (
              <option value={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          Action <input value={action} onInput={(e) => setAction((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          <input type="checkbox" checked={mine} onChange={(e) => setMine((e.target as HTMLInputElement).checked)} /> Control-plane calls
        </label>
        <label>
          Result{' '}
          <select value={result} onChange={(e) => setResult((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            <option value="ok">accepted</option>
            <option value="error">refused</option>
          </select>
        </label>
      </div>
      <table>
        <caption>
          {shown.length} of the last {state.calls.length} calls
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Dialect</th>
            <th scope="col">Action</th>
            <th scope="col">Result</th>
            <th scope="col">Account</th>
            <th scope="col">Resources</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((c) => (
            <tr data-request-id={c.requestId} data-result={OK.has(c.resultCode) ? 'ok' : 'error'}>
              <td><time dateTime={c.at}>{c.at.slice(11, 23)}</time></td>
              <td>{c.dialect}</td>
              <td>{c.action}</td>
              <td>
                <span class={`badge ${OK.has(c.resultCode) ? 'success' : 'failed'}`}>{c.resultCode}</span> {c.httpStatus}
              </td>
              <td>{c.accountId ?? ''}</td>
              <td>{c.resourceIds.join(' ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
