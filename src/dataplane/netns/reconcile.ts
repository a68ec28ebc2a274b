/**
 * Makes the host hold what the plan says, for some instances or for the whole world: removes what
 * should not be there first (links, and addresses, so that one moving between instances is never
 * on two at once and frees its names), then builds the fabrics, then each instance's links,
 * addresses, routes and firewall. Each namespace is put right on its own: one that fails is
 * reported and the others are still done. Everything it touches carries the server's prefix;
 * nothing else on the host is read or changed.
 */
import { KernelError, type Kernel, type KernelLink } from './kernel.ts';
import type { FabricPlan, HostPlan, InstancePlan, LinkPlan } from './plan.ts';

const QUIET_IPV6 = { 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv6.conf.default.disable_ipv6': '1' };
/**
 * The guest answers ARP only on the link that holds the address (a VPC's switch never lets one
 * NIC answer for another's address; Linux does by default, and a moved ENI would keep answering
 * from its old instance). Reverse-path filtering is off: a guest with ENIs in several subnets
 * sends replies out of its default route.
 */
const GUEST_SYSCTLS = {
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.default.rp_filter': '0',
  'net.ipv4.conf.all.arp_ignore': '1',
  'net.ipv4.conf.default.arp_ignore': '1',
  'net.ipv4.conf.all.arp_announce': '2',
  'net.ipv4.conf.default.arp_announce': '2',
  ...QUIET_IPV6,
};
/** The fabric routes between its subnets' bridges, whatever source a guest's reply carries. */
const FABRIC_SYSCTLS = { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.default.rp_filter': '0', ...QUIET_IPV6 };

export class Reconciler {
  /** What was last written to each namespace (ruleset, default route), so unchanged ones are not written again. */
  private readonly written = new Map<string, { firewall?: string; route?: string }>();

  constructor(
    private readonly kernel: Kernel,
    private readonly prefix: string,
  ) {}

  /**
   * `only`: the instance namespaces to put right (and the fabrics their ENIs need); all when
   * omitted. Throws one KernelError naming every namespace that could not be put right.
   */
  async reconcile(plan: HostPlan, only?: ReadonlySet<string>): Promise<void> {
    const failures: string[] = [];
    const each = async (ns: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        failures.push(`${ns}: ${e.message}`);
      }
    };
    const existing = new Set(await this.kernel.namespaces(this.prefix));
    // A whole pass trusts nothing written before: a guest may have flushed its rules.
    if (!only) this.written.clear();
    const targets = only ? [...only] : [...new Set([...plan.instances.keys(), ...[...existing].filter((ns) => !plan.fabrics.has(ns))])];

    // 1. Removals: instances that should not be up, links that are not what the plan says, and
    //    addresses that have left a link.
    const present = new Map<string, KernelLink[]>();
    const moved = new Set<string>();
    for (const ns of targets) {
      await each(ns, async () => {
        const want = plan.instances.get(ns);
        if (!want) {
          if (existing.has(ns)) await this.dropNamespace(ns, existing);
          return;
        }
        if (!existing.has(ns)) return;
        const links = await this.kernel.links(ns);
        const wanted = new Map(want.links.map((l) => [l.name, l]));
        const stale = links.filter((l) => isGuestLink(l) && !sameLink(l, wanted.get(l.name)));
        const kept = links.filter((l) => !stale.includes(l));
        const lines = stale.map((l) => `link del dev ${l.name}`);
        for (const l of kept) {
          const want = wanted.get(l.name);
          if (!want) continue;
          for (const a of l.addresses) if (!want.addresses.includes(a)) lines.push(`addr del ${a} dev ${l.name}`);
          for (const a of want.addresses) if (!l.addresses.includes(a)) moved.add(a.split('/')[0]!);
        }
        await this.kernel.batch(ns, lines);
        present.set(ns, kept.map((l) => ({ ...l, addresses: l.addresses.filter((a) => wanted.get(l.name)?.addresses.includes(a)) })));
      });
    }
    if (!only) {
      for (const ns of existing) if (!plan.instances.has(ns) && !plan.fabrics.has(ns)) await each(ns, () => this.dropNamespace(ns, existing));
    }

    // 2. The fabrics: all of them, or those the targeted instances' ENIs hang off.
    const fabricNames = only ? new Set(targets.flatMap((ns) => plan.instances.get(ns)?.links.map((l) => l.fabricNs) ?? [])) : new Set(plan.fabrics.keys());
    const ports = new Map([...plan.instances.values()].flatMap((i) => i.links.map((l) => [l.fabricLink, l.bridge] as const)));
    const fabricLinks = new Map<string, KernelLink[]>();
    for (const ns of fabricNames) {
      const fabric = plan.fabrics.get(ns);
      if (fabric) await each(ns, async () => void fabricLinks.set(ns, await this.fabric(fabric, existing, ports, !only)));
    }

    // 3. Each instance: its namespace, then its links.
    for (const ns of targets) {
      const want = plan.instances.get(ns);
      if (want) await each(ns, () => this.instance(want, existing, present.get(ns), fabricLinks));
    }

    // 4. An address that moved to a link already up (MigratePrivateIpAddress) has a new MAC: the
    //    VPC's neighbours forget the old one at once, as a cloud's switch would, rather than in a minute.
    if (moved.size) {
      const fabrics = new Set(targets.flatMap((ns) => plan.instances.get(ns)?.links.map((l) => l.fabricNs) ?? []));
      const neighbours = [...plan.instances.values()].filter((i) => i.links.some((l) => fabrics.has(l.fabricNs))).map((i) => i.ns);
      for (const ns of [...fabrics, ...neighbours]) await each(ns, () => this.kernel.batch(ns, [...moved].map((a) => `neigh flush to ${a}`)));
    }
    if (failures.length) throw new KernelError(failures.join('; '));
  }

  private async dropNamespace(ns: string, existing: Set<string>): Promise<void> {
    await this.kernel.deleteNamespace(ns);
    existing.delete(ns);
    this.written.delete(ns);
  }

  /**
   * The fabric's namespace and bridges, each ENI's port on its bridge and up; in a whole pass the
   * ports of ENIs placed nowhere go too.
   */
  private async fabric(want: FabricPlan, existing: Set<string>, ports: ReadonlyMap<string, string>, whole: boolean): Promise<KernelLink[]> {
    if (!existing.has(want.ns)) {
      await this.kernel.addNamespace(want.ns, FABRIC_SYSCTLS);
      existing.add(want.ns);
    }
    let links = await this.kernel.links(want.ns);
    const bridges = new Map(want.bridges.map((b) => [b.name, b]));
    const lines: string[] = [];
    for (const l of links) {
      if (l.name === 'lo') continue;
      const bridge = l.kind === 'bridge' ? undefined : ports.get(l.name);
      if (l.kind === 'bridge' ? !bridges.has(l.name) : whole && bridge === undefined) {
        lines.push(`link del dev ${l.name}`);
        continue;
      }
      if (bridge !== undefined && bridges.has(bridge)) {
        if (l.master !== bridge) lines.push(`link set dev ${l.name} master ${bridge}`);
        if (!l.up) lines.push(`link set dev ${l.name} up`);
      }
    }
    for (const b of want.bridges) {
      const have = links.find((l) => l.name === b.name && l.kind === 'bridge');
      // A bridge made again must come before its ports are put back on it.
      if (!have) lines.unshift(`link add ${b.name} address ${b.mac} type bridge forward_delay 0`);
      else if (have.mac !== b.mac) lines.push(`link set dev ${b.name} address ${b.mac}`);
      for (const a of have?.addresses ?? []) if (a !== b.gateway) lines.push(`addr del ${a} dev ${b.name}`);
      if (!have?.addresses.includes(b.gateway)) lines.push(`addr add ${b.gateway} dev ${b.name}`);
      if (!have?.up) lines.push(`link set dev ${b.name} up`);
    }
    if (lines.length) {
      await this.kernel.batch(want.ns, lines);
      links = await this.kernel.links(want.ns);
    }
    return links;
  }

  private async instance(want: InstancePlan, existing: Set<string>, present: KernelLink[] | undefined, fabrics: Map<string, KernelLink[]>): Promise<void> {
    if (!existing.has(want.ns)) {
      await this.kernel.addNamespace(want.ns, GUEST_SYSCTLS);
      existing.add(want.ns);
      this.written.delete(want.ns);
    }
    const have = present ?? (await this.kernel.links(want.ns));
    const lines: string[] = [];
    for (const link of want.links) {
      let l = have.find((x) => x.name === link.name);
      if (!l) {
        await this.plug(want.ns, link, fabrics.get(link.fabricNs) ?? []);
        lines.push(`link set dev ${link.name} alias ${link.eniId}`);
        l = { name: link.name, alias: link.eniId, mac: link.mac, up: false, kind: 'veth', master: undefined, addresses: [] };
      }
      for (const a of l.addresses) if (!link.addresses.includes(a)) lines.push(`addr del ${a} dev ${link.name}`);
      for (const a of link.addresses) if (!l.addresses.includes(a)) lines.push(`addr add ${a} dev ${link.name}`);
      if (l.up !== want.up) lines.push(`link set dev ${link.name} ${want.up ? 'up' : 'down'}`);
    }
    const written = this.written.get(want.ns) ?? {};
    // A link brought up or made again has lost its routes: the default route is written whenever lines are.
    const route = want.up && want.defaultRoute ? `route replace default via ${want.defaultRoute.via} dev ${want.defaultRoute.dev}` : undefined;
    if (route && (lines.length > 0 || written.route !== route)) lines.push(route);
    await this.kernel.batch(want.ns, lines);
    if (written.firewall !== want.firewall) await this.kernel.nft(want.ns, want.firewall);
    this.written.set(want.ns, { firewall: want.firewall, route });
  }

  /** A new veth pair: the guest's end made inside the instance, the other on its subnet's bridge. */
  private async plug(ns: string, link: LinkPlan, fabric: KernelLink[]): Promise<void> {
    const lines: string[] = [];
    // A leftover end (its guest end in an instance being put right later) would hold the name.
    if (fabric.some((l) => l.name === link.fabricLink)) lines.push(`link del dev ${link.fabricLink}`);
    lines.push(
      `link add ${link.fabricLink} type veth peer name ${link.name} address ${link.mac} netns ${ns}`,
      `link set dev ${link.fabricLink} master ${link.bridge}`,
      `link set dev ${link.fabricLink} up`,
    );
    await this.kernel.batch(link.fabricNs, lines);
  }
}

/**
 * The links the data plane owns in a guest: `eth<N>`. Whatever else a user's agent or CNI plugin
 * makes in there (bridges, veths to its pods, dummies) is theirs and left alone.
 */
function isGuestLink(l: KernelLink): boolean {
  return /^eth\d+$/.test(l.name);
}

/** The guest's end is the ENI's when it carries the ENI's id and MAC. */
function sameLink(have: KernelLink, want: LinkPlan | undefined): boolean {
  return want !== undefined && have.kind === 'veth' && have.alias === want.eniId && have.mac === want.mac;
}
