// Tasks: running and recent, with their duration, result and, on failure, the vendor's error.
import { useEffect, useState } from 'preact/hooks';
import type { State } from '../world.ts';

export function Tasks({ state }: { state: State }) {
  const [now, setNow] = useState(Date.now());
  // Running tasks' durations grow on screen without reading anything.
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const tasks = [...state.tasks].reverse();
  const running = tasks.filter((t) => t.status === 'RUNNING');
  const ms = (t: (typeof tasks)[number]) => (t.finishedAt ? Date.parse(t.finishedAt) : now) - Date.parse(t.createdAt);
  const table = (list: typeof tasks, caption: string) => (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">Operation</th>
          <th scope="col">Status</th>
          <th scope="col">Resources</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {list.map((t) => (
          <tr data-task-id={t.id} data-state={t.status}>
            <td><code>{t.id}</code></td>
            <td>{t.operation}</td>
            <td>
              <span class={`badge ${t.status.toLowerCase()}`}>{t.status}</span>
              {t.held && ' (held)'}
              {t.pollsLeft !== undefined && ` (${t.pollsLeft} polls to go)`}
            </td>
            <td>{t.resourceIds.join(' ')}</td>
            <td><time dateTime={t.createdAt}>{t.createdAt.slice(11, 19)}</time></td>
            <td>{(Math.max(0, ms(t)) / 1000).toFixed(2)} s</td>
            <td>{t.errorCode ? `${t.errorCode}${t.errorMessage ? `: ${t.errorMessage}` : ''}` : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <section aria-labelledby="tasks-title">
      <h1 id="tasks-title">Tasks</h1>
      {table(running, `${running.length} running`)}
      {table(tasks.filter((t) => t.status !== 'RUNNING').slice(0, 100), 'Recent')}
    </section>
  );
}
