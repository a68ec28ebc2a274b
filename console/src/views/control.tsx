// Control: the control-plane API from the browser. Faults, how each operation's tasks end (and the
// held ones completed or failed by hand), snapshots, reset. Destructive actions ask first.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import type { State, WorldStore } from '../world.ts';

const OPERATIONS = ['eni.create', 'eni.delete', 'eni.attach', 'eni.detach', 'eni.migrate', 'eni.assignIps', 'eni.unassignIps', 'ip.migrate', 'instance.run', 'instance.start', 'instance.stop', 'instance.terminate'];

interface Fault {
  id: string;
  stage: string;
  provider: string | null;
  dialect: string | null;
  action: string | null;
  operation: string | null;
  probability: number;
  count: number | null;
  hits: number;
  error: { code: string; message: string };
}

export function Control({ state, api, store }: { state: State; api: Api; store: WorldStore }) {
  const [faults, setFaults] = useState<Fault[]>([]);
  const [modes, setModes] = useState<Array<{ operation: string; mode: string; polls?: number }>>([]);
  const [snapshots, setSnapshots] = useState<Array<{ name: string; createdAt: string }>>([]);
  const [message, setMessage] = useState('');
  const confirm = useConfirm();
  const reload = async () => {
    const [f, m, s] = await Promise.all([api.get('faults'), api.get('transitions'), api.get('snapshots')]);
    setFaults(f.faults);
    setModes(m.transitions);
    setSnapshots(s.snapshots);
  };
  useEffect(() => void reload().catch((e) => setMessage(String(e))), []);
  const act = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      setMessage(`${what}: done.`);
      await reload();
      void store.refresh();
    } catch (e) {
      setMessage(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const held = state.tasks.filter((t) => t.status === 'RUNNING');
  return (
    <section aria-labelledby="control-title" class="control">
      <h1 id="control-title">Control</h1>
      <p role="status" class="message">
        {message}
      </p>

      <h2>Faults</h2>
      <FaultForm onAdd={(spec) => act('Add fault', () => api.call('POST', 'faults', spec))} />
      <table>
        <caption>{faults.length} faults</caption>
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Stage</th>
            <th scope="col">Matches</th>
            <th scope="col">Probability</th>
            <th scope="col">Hits</th>
            <th scope="col">Error</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {faults.map((f) => (
            <tr data-fault-id={f.id}>
              <td><code>{f.id}</code></td>
              <td>{f.stage}</td>
              <td>{[f.provider, f.dialect, f.action ?? f.operation].filter(Boolean).join(' · ') || 'every call'}</td>
              <td>{f.probability}</td>
              <td>
                {f.hits}
                {f.count !== null && ` / ${f.count}`}
              </td>
              <td>{f.error.code}</td>
              <td>
                <button type="button" onClick={() => act('Remove fault', () => api.call('DELETE', `faults/${f.id}`))}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Transitions</h2>
      <div class="modes">
        {OPERATIONS.map((op) => {
          const m = modes.find((x) => x.operation === op);
          return <ModeRow operation={op} mode={m?.mode ?? 'auto'} polls={m?.polls} onSet={(mode, polls) => act(`${op} ${mode}`, () => api.call('PUT', 'transitions', { operation: op, mode, ...(mode === 'polls' && { polls }) }))} />;
        })}
      </div>
      <h3>Running tasks</h3>
      <ul class="held">
        {held.length === 0 && <li>None.</li>}
        {held.map((t) => (
          <li data-task-id={t.id}>
            <code>{t.id}</code> {t.operation} on {t.resourceIds.join(', ')}
            {t.held ? ' (held)' : ''}{' '}
            <button type="button" onClick={() => act('Complete task', () => api.call('POST', `tasks/${t.id}/complete`))}>
              Complete
            </button>{' '}
            <FailButton onFail={(code) => act('Fail task', () => api.call('POST', `tasks/${t.id}/fail`, { code }))} />
          </li>
        ))}
      </ul>

      <h2>Snapshots</h2>
      <SnapshotForm onSave={(name) => act('Save snapshot', () => api.call('POST', 'snapshots', { name }))} />
      <ul class="snapshots">
        {snapshots.map((s) => (
          <li data-snapshot={s.name}>
            <strong>{s.name}</strong> <time dateTime={s.createdAt}>{s.createdAt.replace('T', ' ').slice(0, 19)}</time>{' '}
            <button type="button" onClick={async () => (await confirm(`Restore snapshot "${s.name}"? The world as it is now is replaced.`)) && act('Restore snapshot', () => api.call('POST', `snapshots/${encodeURIComponent(s.name)}/restore`))}>
              Restore
            </button>{' '}
            <button type="button" onClick={async () => (await confirm(`Delete snapshot "${s.name}"?`)) && act('Delete snapshot', () => api.call('DELETE', `snapshots/${encodeURIComponent(s.name)}`))}>
              Delete
            </button>
          </li>
        ))}
      </ul>

      <h2>Reset</h2>
      <p>Removes every resource and task; accounts and keys stay.</p>
      <button type="button" class="danger" onClick={async () => (await confirm('Reset the whole world? Every resource and task of every account is removed.')) && act('Reset', () => api.call('POST', 'reset', {}))}>
        Reset the world
      </button>
      {confirm.dialog}
    </section>
  );
}

function FaultForm({ onAdd }: { onAdd(spec: Record<string, unknown>): void }) {
  const [stage, setStage] = useState('request');
  const [dialect, setDialect] = useState('');
  const [name, setName] = useState('');
  const [probability, setProbability] = useState('1');
  const [count, setCount] = useState('1');
  const [code, setCode] = useState('');
  const [text, setText] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    onAdd({
      stage,
      ...(dialect && { dialect }),
      ...(name && { [stage === 'request' ? 'action' : 'operation']: name }),
      probability: Number(probability),
      ...(count && { count: Number(count) }),
      error: { code, ...(text && { message: text }) },
    });
  };
  const input = (e: Event) => (e.target as HTMLInputElement).value;
  return (
    <form class="fault-form" onSubmit={submit} aria-label="Add a fault">
      <label>
        Stage{' '}
        <select name="stage" value={stage} onChange={(e) => setStage(input(e))}>
          <option value="request">request</option>
          <option value="task">task</option>
        </select>
      </label>
      <label>
        Dialect{' '}
        <select name="dialect" value={dialect} onChange={(e) => setDialect(input(e))}>
          <option value="">any</option>
          <option value="tencent3">tencent3</option>
          <option value="tencent2">tencent2</option>
          <option value="jdcloud">jdcloud</option>
        </select>
      </label>
      <label>
        {stage === 'request' ? 'Action' : 'Operation'} <input name="name" value={name} onInput={(e) => setName(input(e))} placeholder={stage === 'request' ? 'AttachNetworkInterface' : 'eni.attach'} />
      </label>
      <label>
        Probability <input name="probability" type="number" min="0" max="1" step="0.01" value={probability} onInput={(e) => setProbability(input(e))} />
      </label>
      <label>
        Count <input name="count" type="number" min="1" value={count} onInput={(e) => setCount(input(e))} />
      </label>
      <label>
        Error code <input name="code" required value={code} onInput={(e) => setCode(input(e))} placeholder="InternalError" />
      </label>
      <label>
        Message <input name="message" value={text} onInput={(e) => setText(input(e))} />
      </label>
      <button type="submit">Add fault</button>
    </form>
  );
}

function ModeRow({ operation, mode, polls, onSet }: { operation: string; mode: string; polls: number | undefined; onSet(mode: string, polls: number): void }) {
  const [n, setN] = useState(String(polls ?? 3));
  const id = `mode-${operation.replace('.', '-')}`;
  return (
    <div class="mode" data-operation={operation} data-mode={mode}>
      <label for={id}>{operation}</label>
      <select id={id} value={mode} onChange={(e) => onSet((e.target as HTMLSelectElement).value, Number(n))}>
        <option value="auto">auto</option>
        <option value="manual">manual (hold)</option>
        <option value="polls">after N describes</option>
      </select>
      {mode === 'polls' && (
        <input aria-label={`${operation}: describes`} type="number" min="1" value={n} onChange={(e) => (setN((e.target as HTMLInputElement).value), onSet('polls', Number((e.target as HTMLInputElement).value)))} />
      )}
    </div>
  );
}

function FailButton({ onFail }: { onFail(code: string): void }) {
  const [code, setCode] = useState('FailedOperation');
  return (
    <span class="fail">
      <label>
        <span class="sr-only">Error code</span>
        <input value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} size={16} />
      </label>
      <button type="button" onClick={() => onFail(code)}>
        Fail
      </button>
    </span>
  );
}

function SnapshotForm({ onSave }: { onSave(name: string): void }) {
  const [name, setName] = useState('');
  return (
    <form onSubmit={(e) => (e.preventDefault(), onSave(name))} aria-label="Save a snapshot">
      <label>
        Name <input name="snapshot" required pattern="[A-Za-z0-9._\-]{1,64}" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </label>{' '}
      <button type="submit">Save snapshot</button>
    </form>
  );
}

/** An accessible confirmation: a modal dialog that answers true (Confirm) or false (Cancel, Escape). */
function useConfirm(): ((question: string) => Promise<boolean>) & { dialog: preact.JSX.Element } {
  const ref = useRef<HTMLDialogElement>(null);
  const [question, setQuestion] = useState('');
  const answer = useRef<(ok: boolean) => void>(() => {});
  const ask = ((q: string) =>
    new Promise<boolean>((resolve) => {
      setQuestion(q);
      answer.current = resolve;
      ref.current?.showModal();
    })) as ((question: string) => Promise<boolean>) & { dialog: preact.JSX.Element };
  const close = (ok: boolean) => {
    ref.current?.close();
    answer.current(ok);
    answer.current = () => {};
  };
  ask.dialog = (
    <dialog ref={ref} aria-labelledby="confirm-question" onCancel={() => close(false)}>
      <p id="confirm-question">{question}</p>
      <button type="button" class="danger" onClick={() => close(true)}>
        Confirm
      </button>{' '}
      <button type="button" onClick={() => close(false)} autofocus>
        Cancel
      </button>
    </dialog>
  );
  return ask;
}
