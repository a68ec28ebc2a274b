// Topology of one VPC: its subnets, the instances in each, and each instance's ENIs by device index
// with their addresses, MACs and groups. An ENI on its way to an instance is drawn there already,
// marked as arriving (and where from); the instance it leaves keeps a marker of where it went.
import { useState } from 'preact/hooks';
import { shownOn, type Eni, type Instance, type State } from '../world.ts';

export function Topology({ state }: { state: State }) {
  const w = state.world;
  const [chosen, setChosen] = useState<string>('');
  const vpc = w.vpcs.find((v) => v.id === chosen) ?? w.vpcs.at(-1);
  if (!vpc) return (<section><h1>Topology</h1><p>No VPC yet.</p></section>);
  const subnets = w.subnets.filter((s) => s.vpcId === vpc.id);
  const instances = w.instances.filter((i) => i.vpcId === vpc.id);
  const enis = w.enis.filter((e) => e.vpcId === vpc.id);
  const provider = w.accounts.find((a) => a.id === vpc.accountId)?.provider;
  return (
    <section aria-labelledby="topology-title">
      <h1 id="topology-title">Topology</h1>
      <label for="vpc-choice">VPC</label>{' '}
      <select id="vpc-choice" value={vpc.id} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
        {w.vpcs.map((v) => (
          <option value={v.id}>
            {v.id} {v.name} ({v.cidr}, {v.region})
          </option>
        ))}
      </select>
      <div class="vpc" data-resource-id={vpc.id} data-state="AVAILABLE">
        <h2>
          {vpc.id} <small>{vpc.name} · {vpc.cidr} · {provider} {vpc.region} · account {vpc.accountId}</small>
        </h2>
        <div class="subnets">
          {subnets.map((s) => {
            const here = instances.filter((i) => i.subnetId === s.id);
            const loose = enis.filter((e) => e.subnetId === s.id && shownOn(e) === null);
            return (
              <div class="subnet" data-resource-id={s.id} data-state="AVAILABLE">
                <h3>
                  {s.id} <small>{s.name} · {s.cidr}{s.zone && ` · ${s.zone}`}</small>
                </h3>
                {here.map((i) => (
                  <InstanceBox instance={i} enis={enis} all={w.enis} />
                ))}
                {loose.length > 0 && (
                  <div class="loose">
                    <h4>Not attached</h4>
                    {loose.map((e) => (
                      <EniBox eni={e} />
                    ))}
                  </div>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}

function InstanceBox({ instance: i, enis, all }: { instance: Instance; enis: Eni[]; all: Eni[] }) {
  const mine = all.filter((e) => shownOn(e) === i.id).sort((a, b) => (a.deviceIndex ?? 99) - (b.deviceIndex ?? 99));
  const leaving = enis.filter((e) => e.instanceId === i.id && e.targetInstanceId !== null && e.targetInstanceId !== i.id);
  const onIt = all.filter((e) => e.instanceId === i.id || e.targetInstanceId === i.id).length;
  return (
    <div class={`instance state-${i.state.toLowerCase()}`} data-resource-id={i.id} data-state={i.state}>
      <h4>
        {i.id} <small>{i.name} · {i.instanceType} · {i.state}</small>
      </h4>
      <p class="quota" data-quota-used={onIt} data-quota-limit={i.eniQuota ?? ''}>
        ENIs {onIt}/{i.eniQuota ?? '?'} · up to {i.ipQuota ?? '?'} IPs per ENI
      </p>
      <ol class="enis">
        {mine.map((e) => (
          <li>
            <EniBox eni={e} />
          </li>
        ))}
      </ol>
      {leaving.map((e) => (
        <p class="leaving" data-leaving-id={e.id}>
          {e.id} → {e.targetInstanceId}
        </p>
      ))}
    </div>
  );
}

export function EniBox({ eni: e }: { eni: Eni }) {
  const arriving = e.targetInstanceId !== null;
  return (
    <div
      class={`eni state-${e.state.toLowerCase()}${arriving ? ' arriving' : ''}${e.primary ? ' primary' : ''}`}
      data-resource-id={e.id}
      data-state={e.state}
      {...(e.instanceId && !arriving && { 'data-instance-id': e.instanceId })}
      {...(arriving && { 'data-target-instance-id': e.targetInstanceId })}
    >
      <strong>{e.deviceIndex !== null ? `eth${e.deviceIndex}` : 'eni'}</strong> {e.id} <span class="badge">{e.state}</span>
      {arriving && <span class="note">{e.instanceId ? ` arriving from ${e.instanceId}` : ' attaching'}</span>}
      <div class="detail">
        {e.ips.map((p) => p.address).join(', ') || 'no address'} · {e.mac}
        {e.securityGroupIds.length > 0 && ` · ${e.securityGroupIds.join(', ')}`}
      </div>
    </div>
  );
}
