/**
 * What the host should hold, worked out from the store alone: one namespace per instance that is up
 * or stopped, one fabric namespace per VPC with a bridge per subnet, one veth pair per attached ENI.
 *
 * An operation in flight is shown as done once a task engine has claimed its task (the effect is
 * being applied, or has been and the task is about to end) and as not yet begun before that (an
 * operation held in manual or polls mode has not reached the host). So the plan is the same whoever
 * computes it, and a restart, a failure or another node's reconcile all converge on one answer.
 */
import { formatIpv4, parseCidr, parseIpv4 } from '../../core/ipam.ts';
import type { Eni, Instance, PowerPayload, SecurityGroup, Subnet, Task, TaskPayloads, Vpc } from '../../core/model.ts';
import { firewallOf, type GuardedLink } from './firewall.ts';
import { bridgeOf, fabricLink, fabricNs, gatewayMac, guestLink, instanceNs } from './names.ts';

export interface HostWorld {
  vpcs: readonly Vpc[];
  subnets: readonly Subnet[];
  securityGroups: readonly SecurityGroup[];
  instances: readonly Instance[];
  enis: readonly Eni[];
  /** The tasks still RUNNING. */
  tasks: readonly Task[];
}

export interface LinkPlan {
  /** The guest's name for it, `eth<DeviceIndex>`. */
  name: string;
  eniId: string;
  /** Lower case, as the kernel prints it. */
  mac: string;
  /** `address/prefix`, the primary address first. */
  addresses: string[];
  fabricNs: string;
  fabricLink: string;
  bridge: string;
}

export interface InstancePlan {
  ns: string;
  instanceId: string;
  /** Links up (RUNNING) or down (STOPPED). */
  up: boolean;
  links: LinkPlan[];
  /** The primary ENI's subnet gateway: the default route while the instance is up. */
  defaultRoute: { dev: string; via: string } | undefined;
  /** The nftables ruleset of the instance's security groups (nft -f input). */
  firewall: string;
}

export interface BridgePlan {
  name: string;
  subnetId: string;
  /** The subnet's gateway address with the subnet's prefix length: the router's leg on the bridge. */
  gateway: string;
  mac: string;
}

export interface FabricPlan {
  ns: string;
  vpcId: string;
  bridges: BridgePlan[];
}

export interface HostPlan {
  instances: Map<string, InstancePlan>;
  fabrics: Map<string, FabricPlan>;
  /** Rows left off the host because a value in them is not what the APIs make (an imported world, say). */
  problems: string[];
  /** Whether any rule names a peer group: then an address changing anywhere may change a firewall. */
  peerRules: boolean;
}

/**
 * What may go into an `ip` command line. The store's rows come from the APIs, which check them,
 * but also from imported worlds and snapshots; a value that is not an id, a unicast MAC or an
 * address is never written to the host (it could be a second command).
 */
const ID = /^[a-z]+-[a-z0-9]+$/;
const MAC = /^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$/;
const safeAddress = (a: string) => parseIpv4(a) !== undefined;

type Power = 'up' | 'down' | 'absent';

/** The subnet's gateway is its first address after the network address on both clouds. */
export function gatewayOf(subnet: Pick<Subnet, 'cidr'>): { address: string; prefix: number } | undefined {
  const cidr = parseCidr(subnet.cidr);
  if (!cidr || cidr.prefix > 30) return undefined;
  return { address: formatIpv4(cidr.network + 1), prefix: cidr.prefix };
}

export function planHost(world: HostWorld, prefix: string): HostPlan {
  const problems: string[] = [];
  const safe = <T extends { id: string }>(kind: string, rows: readonly T[], more: (r: T) => boolean = () => true): T[] =>
    rows.filter((r) => {
      const ok = ID.test(r.id) && more(r);
      if (!ok) problems.push(`${kind} ${JSON.stringify(r.id)} is not on the host: a value in it is not what the APIs make`);
      return ok;
    });
  const intents = intentsOf(world.tasks);
  const subnets = new Map(safe('subnet', world.subnets, (s) => ID.test(s.vpcId)).map((s) => [s.id, s]));
  const groups = new Map(world.securityGroups.map((g) => [g.id, g]));

  const fabrics = new Map<string, FabricPlan>();
  for (const vpc of safe('vpc', world.vpcs)) fabrics.set(vpc.id, { ns: fabricNs(prefix, vpc.id), vpcId: vpc.id, bridges: [] });
  for (const subnet of subnets.values()) {
    const gw = gatewayOf(subnet);
    const fabric = fabrics.get(subnet.vpcId);
    if (gw && fabric) fabric.bridges.push({ name: bridgeOf(subnet.id), subnetId: subnet.id, gateway: `${gw.address}/${gw.prefix}`, mac: gatewayMac(subnet.id) });
  }

  const instances = new Map<string, InstancePlan & { guarded: GuardedLink[] }>();
  for (const instance of safe('instance', world.instances)) {
    const power = intents.power.get(instance.id) ?? powerOf(instance.state);
    if (power === 'absent') continue;
    instances.set(instance.id, { ns: instanceNs(prefix, instance.id), instanceId: instance.id, up: power === 'up', links: [], defaultRoute: undefined, firewall: '', guarded: [] });
  }

  // Addresses moving between ENIs (MigratePrivateIpAddress) land on the destination once claimed.
  const arriving = new Map<string, Eni['ips']>();
  for (const move of intents.movingIps.values()) if (move.claimed && safeAddress(move.ip.address)) arriving.set(move.to, [...(arriving.get(move.to) ?? []), move.ip]);

  const enis = safe('eni', world.enis, (e) => MAC.test(e.mac.toLowerCase()) && e.ips.every((ip) => safeAddress(ip.address)));
  for (const eni of enis) {
    const at = placementOf(eni, intents);
    const host = at && instances.get(at.instanceId);
    const subnet = subnets.get(eni.subnetId);
    const gw = subnet && gatewayOf(subnet);
    const fabric = fabrics.get(eni.vpcId);
    if (!at || !host || !gw || !fabric) continue;
    if (!Number.isInteger(at.deviceIndex) || at.deviceIndex < 0 || at.deviceIndex > 9999) {
      problems.push(`eni ${eni.id} is not on the host: device index ${at.deviceIndex}`);
      continue;
    }
    const ips = [...eni.ips, ...(arriving.get(eni.id) ?? [])].filter((ip) => ipPresent(ip, intents));
    ips.sort((a, b) => Number(b.primary) - Number(a.primary));
    const link: LinkPlan = {
      name: guestLink(at.deviceIndex),
      eniId: eni.id,
      mac: eni.mac.toLowerCase(),
      addresses: ips.map((ip) => `${ip.address}/${gw.prefix}`),
      fabricNs: fabric.ns,
      fabricLink: fabricLink(eni.id),
      bridge: bridgeOf(eni.subnetId),
    };
    host.links.push(link);
    host.guarded.push({ name: link.name, groups: eni.securityGroupIds.map((id) => groups.get(id)).filter((g): g is SecurityGroup => g !== undefined) });
    if (at.deviceIndex === 0) host.defaultRoute = { dev: link.name, via: gw.address };
  }

  const members = groupMembers(enis);
  const out = new Map<string, InstancePlan>();
  for (const { guarded, ...plan } of instances.values()) {
    plan.links.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    plan.firewall = firewallOf(guarded, (groupId) => members.get(groupId) ?? []);
    out.set(plan.ns, plan);
  }
  const peerRules = world.securityGroups.some((g) => g.rules.some((r) => r.peerGroupId));
  return { instances: out, fabrics: new Map([...fabrics.values()].map((f) => [f.ns, f])), problems, peerRules };
}

interface Placement {
  instanceId: string;
  deviceIndex: number;
}

interface Intents {
  /**
   * ENIs whose place an operation in flight decides: null on no instance, `target` on the instance
   * an attach or migrate is taking it to, at the device index stored for it there when accepted.
   */
  placement: Map<string, Placement | null | 'target'>;
  power: Map<string, Power>;
  /** Addresses (`eniId/address`) an assign or unassign in flight decides: present or not. */
  ips: Map<string, boolean>;
  /** Addresses (`subnetId/address`) a MigratePrivateIpAddress in flight moves. */
  movingIps: Map<string, { to: string; claimed: boolean; ip: Eni['ips'][number] }>;
  /** ENIs whose creation (with its addresses) is being applied. */
  creating: Set<string>;
}

/** The effect of every running task: applied once claimed, not yet otherwise. */
function intentsOf(tasks: readonly Task[]): Intents {
  const out: Intents = { placement: new Map(), power: new Map(), ips: new Map(), movingIps: new Map(), creating: new Set() };
  for (const task of tasks) {
    const claimed = task.leaseOwner !== null;
    const p = task.payload;
    switch (task.kind) {
      case 'eni.attach': {
        out.placement.set((p as TaskPayloads['eni.attach']).eniId, claimed ? 'target' : null);
        break;
      }
      case 'eni.detach':
        if (claimed) out.placement.set((p as TaskPayloads['eni.detach']).eniId, null);
        break;
      case 'eni.migrate': {
        const m = p as TaskPayloads['eni.migrate'];
        // Until claimed it stays on the source, at the index it had there (the stored one is the destination's).
        if (claimed) out.placement.set(m.eniId, 'target');
        else out.placement.set(m.eniId, m.prior.deviceIndex === null ? null : { instanceId: m.sourceInstanceId, deviceIndex: m.prior.deviceIndex });
        break;
      }
      case 'eni.assignIps':
      case 'eni.unassignIps': {
        const change = p as TaskPayloads['eni.assignIps'];
        for (const a of change.addresses) out.ips.set(`${change.eniId}/${a}`, task.kind === 'eni.assignIps' ? claimed : !claimed);
        break;
      }
      case 'ip.migrate': {
        const m = p as TaskPayloads['ip.migrate'];
        out.movingIps.set(`${m.subnetId}/${m.address}`, { to: m.destinationEniId, claimed, ip: { subnetId: m.subnetId, address: m.address, eniId: m.destinationEniId, primary: false, state: 'AVAILABLE', description: '', qosLevel: '' } });
        break;
      }
      case 'instance.run':
        for (const id of (p as TaskPayloads['instance.run']).instanceIds) out.power.set(id, claimed ? 'up' : 'absent');
        break;
      case 'instance.start':
      case 'instance.stop':
      case 'instance.terminate': {
        const power = p as unknown as PowerPayload;
        const done: Power = task.kind === 'instance.start' ? 'up' : task.kind === 'instance.stop' ? 'down' : 'absent';
        for (const id of power.instanceIds) out.power.set(id, claimed ? done : powerOf(power.prior[id] ?? 'RUNNING'));
        break;
      }
      case 'eni.create':
        // Created and attached in one call: on the instance, with its addresses, once claimed.
        if (claimed) {
          out.placement.set((p as TaskPayloads['eni.create']).eniId, 'target');
          out.creating.add((p as TaskPayloads['eni.create']).eniId);
        }
        break;
      case 'eni.delete':
        // Only an ENI on no instance is deleted: nothing on the host.
        break;
    }
  }
  return out;
}

function placementOf(eni: Eni, intents: Intents): Placement | null {
  const decided = intents.placement.get(eni.id);
  if (decided === 'target') return eni.targetInstanceId !== null && eni.deviceIndex !== null ? { instanceId: eni.targetInstanceId, deviceIndex: eni.deviceIndex } : null;
  if (decided !== undefined) return decided;
  // Settled (an ENI still being created, or attached, has no instance yet).
  return eni.instanceId !== null && eni.deviceIndex !== null ? { instanceId: eni.instanceId, deviceIndex: eni.deviceIndex } : null;
}

function ipPresent(ip: Eni['ips'][number], intents: Intents): boolean {
  const decided = intents.ips.get(`${ip.eniId}/${ip.address}`);
  if (decided !== undefined) return decided;
  const moving = intents.movingIps.get(`${ip.subnetId}/${ip.address}`);
  if (moving && moving.to !== ip.eniId) return !moving.claimed;
  // A PENDING address belongs to an operation not applied yet.
  return ip.state !== 'PENDING' || intents.creating.has(ip.eniId);
}

/** A state with no operation deciding it. */
function powerOf(state: Instance['state']): Power {
  switch (state) {
    case 'RUNNING':
    case 'REBOOTING':
    case 'STOPPING':
      return 'up';
    case 'STOPPED':
    case 'STARTING':
      return 'down';
    case 'PENDING':
    case 'LAUNCH_FAILED':
    case 'TERMINATING':
      return 'absent';
  }
}

/** Every private address of the ENIs in each group: what a rule naming a peer group matches. */
function groupMembers(enis: readonly Eni[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const eni of enis) {
    for (const g of eni.securityGroupIds) out.set(g, [...(out.get(g) ?? []), ...eni.ips.map((ip) => ip.address)]);
  }
  return out;
}
