/** Turning address requests into concrete, unique private IPs of one subnet (invariant 5). */
import { fail } from './errors.ts';
import { allocateIps, checkRequestedIp, formatIpv4, parseCidr, parseIpv4, usableCount } from './ipam.ts';
import type { IpState, PrivateIp, Subnet } from './model.ts';
import type { Repo } from './ports/repo.ts';
import type { CoreContext } from './context.ts';
import { policyOf } from './naming.ts';
import type { Provider } from './model.ts';

export interface IpRequest {
  address: string;
  primary?: boolean;
  description?: string;
}

export interface AddressPlan {
  /** Addresses the caller named, validated. */
  requested: IpRequest[];
  /** How many more to pick from the free pool. */
  extra: number;
  qosLevel: string;
  state: IpState;
}

/**
 * Validates named addresses (inside the subnet, not reserved, free, not repeated) and picks the
 * extra ones. Must run inside the write transaction that inserts them, so the "free" it sees holds.
 */
export async function allocateAddresses(
  core: Pick<CoreContext, 'catalog'>,
  provider: Provider,
  tx: Repo,
  subnet: Subnet,
  eniId: string,
  plan: AddressPlan,
): Promise<PrivateIp[]> {
  const reserved = policyOf(core, provider).reservedAfterNetwork;
  const cidr = parseCidr(subnet.cidr);
  if (!cidr) throw new Error(`stored subnet ${subnet.id} has a bad CIDR ${subnet.cidr}`);
  await tx.lockSubnet(subnet.id);
  const used = new Set((await tx.usedAddresses(subnet.id)).map((a) => parseIpv4(a)!));
  const seen = new Set<number>();
  const out: PrivateIp[] = [];
  for (const r of plan.requested) {
    const ip = parseIpv4(r.address);
    if (ip === undefined) fail('InvalidValue', { field: 'address', reason: 'malformed', value: r.address });
    const check = checkRequestedIp(cidr, ip, reserved);
    if (check === 'outside') fail('IpOutsideSubnet', { ip: r.address, subnetId: subnet.id });
    if (check === 'reserved') fail('IpReserved', { ip: r.address });
    if (seen.has(ip)) fail('InvalidValue', { field: 'address', reason: 'duplicate', value: r.address });
    if (used.has(ip)) fail('IpInUse', { ip: r.address });
    seen.add(ip);
    out.push(ipRecord(subnet.id, formatIpv4(ip), eniId, !!r.primary, plan, r.description));
  }
  if (plan.extra > 0) {
    for (const ip of seen) used.add(ip);
    const picked = allocateIps(cidr, used, plan.extra, reserved);
    if (picked.length < plan.extra) fail('SubnetExhausted', { subnetId: subnet.id });
    for (const ip of picked) out.push(ipRecord(subnet.id, formatIpv4(ip), eniId, false, plan));
  }
  return out;
}

function ipRecord(subnetId: string, address: string, eniId: string, primary: boolean, plan: AddressPlan, description = ''): PrivateIp {
  return { subnetId, address, eniId, primary, state: plan.state, description, qosLevel: plan.qosLevel };
}

export async function freeAddressCount(core: Pick<CoreContext, 'catalog'>, provider: Provider, tx: Repo, subnet: Subnet): Promise<number> {
  const reserved = policyOf(core, provider).reservedAfterNetwork;
  return usableCount(parseCidr(subnet.cidr)!, reserved) - (await tx.usedAddresses(subnet.id)).length;
}
