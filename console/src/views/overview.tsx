// Overview: per provider and region, how much of each resource there is; tasks running; this
// node's call and error rates over the last ten minutes.
import type { State } from '../world.ts';

export function Overview({ state }: { state: State }) {
  const w = state.world;
  const providerOf = new Map(w.accounts.map((a) => [a.id, a.provider]));
  const rows = new Map<string, { provider: string; region: string; vpcs: number; subnets: number; instances: number; enis: number; ips: number }>();
  const row = (accountId: string, region: string) => {
    const provider = providerOf.get(accountId) ?? '?';
    const key = `${provider} ${region}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { provider, region, vpcs: 0, subnets: 0, instances: 0, enis: 0, ips: 0 }));
    return r;
  };
  for (const v of w.vpcs) row(v.accountId, v.region).vpcs++;
  for (const s of w.subnets) row(s.accountId, s.region).subnets++;
  for (const i of w.instances) row(i.accountId, i.region).instances++;
  for (const e of w.enis) {
    const r = row(e.accountId, e.region);
    r.enis++;
    r.ips += e.ips.length;
  }
  const running = state.tasks.filter((t) => t.status === 'RUNNING');
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <div class="cards">
        <div class="card stat" data-stat="accounts">
          <span class="n">{w.accounts.length}</span> accounts
        </div>
        <div class="card stat" data-stat="tasks-running">
          <span class="n">{running.length}</span> tasks running
        </div>
        <div class="card stat" data-stat="enis">
          <span class="n">{w.enis.length}</span> ENIs
        </div>
      </div>
      <table>
        <caption>Resources by provider and region</caption>
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Region</th>
            <th scope="col">VPCs</th>
            <th scope="col">Subnets</th>
            <th scope="col">Instances</th>
            <th scope="col">ENIs</th>
            <th scope="col">IPs</th>
          </tr>
        </thead>
        <tbody>
          {[...rows.values()].map((r) => (
            <tr data-provider={r.provider} data-region={r.region}>
              <td>{r.provider}</td>
              <td>{r.region}</td>
              <td>{r.vpcs}</td>
              <td>{r.subnets}</td>
              <td>{r.instances}</td>
              <td>{r.enis}</td>
              <td>{r.ips}</td>
            </tr>
          ))}
          {rows.size === 0 && (
            <tr>
              <td colSpan={7}>Nothing yet: create a VPC through any SDK.</td>
            </tr>
          )}
        </tbody>
      </table>
      <Rates state={state} />
    </section>
  );
}

function Rates({ state }: { state: State }) {
  const r = state.rates;
  if (!r) return <p class="hint">Call rates arrive with the next message of the events stream.</p>;
  const max = Math.max(1, ...r.buckets.map((b) => b.requests));
  const lastMinute = r.buckets.slice(-6);
  const perSecond = (n: number) => (n / ((lastMinute.length * r.bucketMs) / 1000)).toFixed(1);
  const calls = lastMinute.reduce((n, b) => n + b.requests, 0);
  const errors = lastMinute.reduce((n, b) => n + b.errors, 0);
  const w = 6;
  return (
    <figure class="rates">
      <figcaption>
        Calls to this node, last ten minutes: {perSecond(calls)}/s in the last minute, {perSecond(errors)}/s refused
      </figcaption>
      <svg role="img" aria-label={`${calls} calls and ${errors} refusals in the last minute`} viewBox={`0 0 ${r.buckets.length * w} 60`} preserveAspectRatio="none">
        {r.buckets.map((b, i) => (
          <g>
            <rect x={i * w} y={60 - (b.requests / max) * 58} width={w - 1} height={(b.requests / max) * 58} class="ok" />
            <rect x={i * w} y={60 - (b.errors / max) * 58} width={w - 1} height={(b.errors / max) * 58} class="bad" />
          </g>
        ))}
      </svg>
    </figure>
  );
}
