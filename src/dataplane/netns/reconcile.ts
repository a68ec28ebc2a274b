/**
 * Makes the host hold what the plan says, for some instances or for the whole world: removes what
 * should not be there first (so a link moving between instances frees its names), then builds the
 * fabrics, then each instance's links, addresses, routes and firewall. Everything it touches
 * carries the server's prefix; nothing else on the host is read or changed.
 */
import type { Kernel, KernelLink } from './kernel.ts';
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
  /** The ruleset last written to each namespace, so an unchanged one is not written again. */
  private readonly written = new Map<string, string>();

  constructor(
    private readonly kernel: Kernel,
    private readonly prefix: string,
  ) {}

  /** `only`: the instance namespaces to put right (and the fabrics their ENIs need); all when omitted. */
  async reconcile(plan: HostPlan, only?: ReadonlySet<string>): Promise<void> {
    const existing = new Set(await this.kernel.namespaces(this.prefix));
    const targets = only ? [...only] : [...new Set([...plan.instances.keys(), ...[...existing].filter((ns) => !plan.fabrics.has(ns))])];

    // 1. Removals: instances that should not be up, links that are not what the plan says.
    const present = new Map<string, KernelLink[]>();
    for (const ns of targets) {
      const want = plan.instances.get(ns);
      if (!want) {
        if (existing.has(ns)) await this.dropNamespace(ns, existing);
        continue;
      }
      if (!existing.has(ns)) continue;
      const links = await this.kernel.links(ns);
      const wanted = new Map(want.links.map((l) => [l.name, l]));
      const stale = links.filter((l) => isGuestLink(l) && !sameLink(l, wanted.get(l.name)));
      await this.kernel.batch(ns, stale.map((l) => `link del dev ${l.name}`));
      present.set(ns, links.filter((l) => !stale.includes(l)));
    }
    if (!only) {
      for (const ns of existing) if (!plan.instances.has(ns) && !plan.fabrics.has(ns)) await this.dropNamespace(ns, existing);
    }

    // 2. The fabrics: all of them, or those the targeted instances' ENIs hang off.
    const fabricNames = only ? new Set(targets.flatMap((ns) => plan.instances.get(ns)?.links.map((l) => l.fabricNs) ?? [])) : new Set(plan.fabrics.keys());
    const fabricLinks = new Map<string, KernelLink[]>();
    for (const ns of fabricNames) {
      const fabric = plan.fabrics.get(ns);
      if (fabric) fabricLinks.set(ns, await this.fabric(fabric, existing, only ? undefined : plan));
    }

    // 3. Each instance: its namespace, then its links.
    for (const ns of targets) {
      const want = plan.instances.get(ns);
      if (want) await this.instance(want, existing, present.get(ns) ?? [], fabricLinks);
    }
  }

  private async dropNamespace(ns: string, existing: Set<string>): Promise<void> {
    await this.kernel.deleteNamespace(ns);
    existing.delete(ns);
    this.written.delete(ns);
  }

  /** The fabric's namespace and bridges; with the whole plan, veth ends no ENI is placed on go too. */
  private async fabric(want: FabricPlan, existing: Set<string>, whole: HostPlan | undefined): Promise<KernelLink[]> {
    if (!existing.has(want.ns)) {
      await this.kernel.addNamespace(want.ns, FABRIC_SYSCTLS);
      existing.add(want.ns);
    }
    let links = await this.kernel.links(want.ns);
    const bridges = new Map(want.bridges.map((b) => [b.name, b]));
    const placed = whole && new Set([...whole.instances.values()].flatMap((i) => i.links.filter((l) => l.fabricNs === want.ns).map((l) => l.fabricLink)));
    const lines: string[] = [];
    for (const l of links) {
      if (l.name === 'lo') continue;
      const stray = l.kind === 'bridge' ? !bridges.has(l.name) : placed !== undefined && !placed.has(l.name);
      if (stray) lines.push(`link del dev ${l.name}`);
    }
    for (const b of want.bridges) {
      const have = links.find((l) => l.name === b.name && l.kind === 'bridge');
      if (!have) lines.push(`link add ${b.name} type bridge forward_delay 0`);
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

  private async instance(want: InstancePlan, existing: Set<string>, present: KernelLink[], fabrics: Map<string, KernelLink[]>): Promise<void> {
    if (!existing.has(want.ns)) {
      await this.kernel.addNamespace(want.ns, GUEST_SYSCTLS);
      existing.add(want.ns);
      this.written.delete(want.ns);
    }
    const lines: string[] = [];
    for (const link of want.links) {
      let have = present.find((l) => l.name === link.name);
      if (!have) {
        await this.plug(want.ns, link, fabrics.get(link.fabricNs) ?? []);
        lines.push(`link set dev ${link.name} alias ${link.eniId}`);
        have = { name: link.name, alias: link.eniId, mac: link.mac, up: false, kind: 'veth', master: undefined, addresses: [] };
      }
      for (const a of have.addresses) if (!link.addresses.includes(a)) lines.push(`addr del ${a} dev ${link.name}`);
      for (const a of link.addresses) if (!have.addresses.includes(a)) lines.push(`addr add ${a} dev ${link.name}`);
      if (have.up !== want.up) lines.push(`link set dev ${link.name} ${want.up ? 'up' : 'down'}`);
    }
    if (want.up && want.defaultRoute) lines.push(`route replace default via ${want.defaultRoute.via} dev ${want.defaultRoute.dev}`);
    await this.kernel.batch(want.ns, lines);
    if (this.written.get(want.ns) !== want.firewall) {
      await this.kernel.nft(want.ns, want.firewall);
      this.written.set(want.ns, want.firewall);
    }
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
