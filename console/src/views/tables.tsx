// Tables of ENIs, instances, subnets and security groups, with a search and filters, and a detail
// panel per resource with its history: the calls that named it, its tasks, its recorded changes.
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import type { State } from '../world.ts';

type Kind = 'enis' | 'instances' | 'subnets' | 'securityGroups';
const KINDS: Array<[Kind, string]> = [
  ['enis', 'ENIs'],
  ['instances', 'Instances'],
  ['subnets', 'Subnets'],
  ['securityGroups', 'Security groups'],
];

interface Row {
  id: string;
  cells: string[];
  state: string;
  accountId: string;
  record: unknown;
}

function rowsOf(state: State, kind: Kind): { head: string[]; rows: Row[] } {
  const w = state.world;
  switch (kind) {
    case 'enis':
      return {
        head: ['Id', 'Name', 'State', 'Instance', 'Device', 'Subnet', 'IPs', 'Groups'],
        rows: w.enis.map((e) => ({ id: e.id, state: e.state, accountId: e.accountId, record: e, cells: [e.id, e.name, e.state, e.instanceId ?? (e.targetInstanceId ? `→ ${e.targetInstanceId}` : ''), e.deviceIndex === null ? '' : `eth${e.deviceIndex}`, e.subnetId, e.ips.map((p) => p.address).join(' '), e.securityGroupIds.join(' ')] })),
      };
    case 'instances':
      return {
        head: ['Id', 'Name', 'State', 'Type', 'Zone', 'Subnet', 'ENIs'],
        rows: w.instances.map((i) => ({ id: i.id, state: i.state, accountId: i.accountId, record: i, cells: [i.id, i.name, i.state, i.instanceType, i.zone, i.subnetId, `${w.enis.filter((e) => e.instanceId === i.id).length}/${i.eniQuota ?? '?'}`] })),
      };
    case 'subnets':
      return {
        head: ['Id', 'Name', 'CIDR', 'Zone', 'VPC', 'ENIs'],
        rows: w.subnets.map((s) => ({ id: s.id, state: 'AVAILABLE', accountId: s.accountId, record: s, cells: [s.id, s.name, s.cidr, s.zone, s.vpcId, String(w.enis.filter((e) => e.subnetId === s.id).length)] })),
      };
    case 'securityGroups':
      return {
        head: ['Id', 'Name', 'Description', 'VPC', 'Rules', 'Members'],
        rows: w.securityGroups.map((g) => ({ id: g.id, state: 'AVAILABLE', accountId: g.accountId, record: g, cells: [g.id, g.name, g.description, g.vpcId, String(g.rules.length), String(w.enis.filter((e) => e.securityGroupIds.includes(g.id)).length)] })),
      };
  }
}

export function Tables({ state, api }: { state: State; api: Api }) {
  const [kind, setKind] = useState<Kind>('enis');
  const [search, setSearch] = useState('');
  const [stateFilter, setStateFilter] = useState('');
  const [account, setAccount] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const { head, rows } = rowsOf(state, kind);
  const states = [...new Set(rows.map((r) => r.state))].sort();
  const needle = search.trim().toLowerCase();
  const shown = rows.filter((r) => (!needle || r.cells.some((c) => c.toLowerCase().includes(needle))) && (!stateFilter || r.state === stateFilter) && (!account || r.accountId === account));
  const record = rows.find((r) => r.id === open);
  return (
    <section aria-labelledby="tables-title" class={record ? 'with-panel' : ''}>
      <h1 id="tables-title">Tables</h1>
      <div role="tablist" aria-label="Resource kind" class="tabs">
        {KINDS.map(([k, label]) => (
          <button type="button" role="tab" aria-selected={k === kind} onClick={() => (setKind(k), setStateFilter(''), setOpen(null))}>
            {label}
          </button>
        ))}
      </div>
      <div class="filters">
        <label>
          Search <input type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} placeholder="id, name, address…" />
        </label>
        <label>
          State{' '}
          <select value={stateFilter} onChange={(e) => setStateFilter((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {states.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Account{' '}
          <select value={account} onChange={(e) => setAccount((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {state.world.accounts.map((a) => (
              <option value={a.id}>
                {a.name} ({a.provider}, {a.id})
              </option>
            ))}
          </select>
        </label>
      </div>
      <div class="table-and-panel">
        <table class="resources">
          <caption>
            {shown.length} of {rows.length}
          </caption>
          <thead>
            <tr>
              {head.map((h) => (
                <th scope="col">{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr data-resource-id={r.id} data-state={r.state} aria-selected={r.id === open}>
                {r.cells.map((c, i) =>
                  i === 0 ? (
                    <td>
                      <button type="button" class="link" onClick={() => setOpen(r.id)}>
                        {c}
                      </button>
                    </td>
                  ) : (
                    <td>{c}</td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
        {record && <Detail id={record.id} record={record.record} api={api} version={state.version} onClose={() => setOpen(null)} />}
      </div>
    </section>
  );
}

interface History {
  calls: Array<{ requestId: string; at: string; dialect: string; action: string; resultCode: string }>;
  tasks: Array<{ id: string; operation: string; status: string; errorCode: string | null; createdAt: string }>;
  events: Array<{ seq: number; at: string; change: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }>;
}

function Detail({ id, record, api, version, onClose }: { id: string; record: unknown; api: Api; version: number; onClose(): void }) {
  const [history, setHistory] = useState<History | null>(null);
  // Read again when the world changes (at most every half second), so the history stays current.
  useEffect(() => {
    const t = setTimeout(() => void api.get<History>(`history/${encodeURIComponent(id)}`).then(setHistory).catch(() => {}), history ? 500 : 0);
    return () => clearTimeout(t);
  }, [id, Math.floor(version / 5)]);
  return (
    <aside class="panel" aria-label={`Details of ${id}`} data-detail-id={id}>
      <button type="button" class="close" onClick={onClose} aria-label="Close details">
        ×
      </button>
      <h2>{id}</h2>
      <dl>
        {Object.entries(record as Record<string, unknown>).map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{k.endsWith('At') && typeof v === 'number' ? new Date(v).toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
          </>
        ))}
      </dl>
      <h3>History</h3>
      {!history && <p>Reading…</p>}
      {history && (
        <ol class="history">
          {[
            ...history.events.map((e) => ({ at: e.at, text: `${e.change}${e.after && 'state' in e.after ? ` → ${String(e.after['state'])}` : ''}${e.after && e.after['instanceId'] ? ` on ${String(e.after['instanceId'])}` : ''}` })),
            ...history.calls.map((c) => ({ at: c.at, text: `${c.dialect} ${c.action}: ${c.resultCode}` })),
            ...history.tasks.map((t) => ({ at: t.createdAt, text: `task ${t.operation} ${t.status}${t.errorCode ? ` (${t.errorCode})` : ''}` })),
          ]
            .sort((a, b) => (a.at < b.at ? 1 : -1))
            .map((h) => (
              <li>
                <time dateTime={h.at}>{h.at.slice(11, 23)}</time> {h.text}
              </li>
            ))}
        </ol>
      )}
    </aside>
  );
}
