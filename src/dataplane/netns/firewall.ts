/**
 * Security groups as nftables rules on the instance end of each ENI: "why can't A reach B" has a
 * real answer. How groups combine is the one place the data plane decides security-group meaning:
 *
 * - The rules of an ENI's groups are tried in order (its groups in the order bound, each group's
 *   rules in order) and the first that matches decides; traffic no rule matches is dropped. Both
 *   clouds document "first match wins" within a group and "no match: denied"; taking the groups one
 *   after another is Tencent's documented order (JD's rules only accept, so order changes nothing).
 * - Filtering is stateful: the replies of a connection a rule let through pass both ways, as both
 *   clouds document.
 * - An ENI in no group is not filtered. Unconfirmed: neither cloud lets an instance's primary ENI go
 *   without a group, and what a secondary ENI with none does is not documented; letting it pass is
 *   what an ENI without a firewall does on a plain network.
 */
import { formatIpv4, maskOf, parseIpv4 } from '../../core/ipam.ts';
import type { RuleDirection, SecurityGroup, SecurityGroupRule } from '../../core/model.ts';

export const TABLE = 'eniplane';

export interface GuardedLink {
  /** The guest's interface name. */
  name: string;
  groups: readonly SecurityGroup[];
}

/** An `nft -f` script that replaces the instance's table in one transaction. */
export function firewallOf(links: readonly GuardedLink[], members: (groupId: string) => readonly string[]): string {
  const guarded = links.filter((l) => l.groups.length > 0);
  const out = [`add table inet ${TABLE}`, `delete table inet ${TABLE}`, `table inet ${TABLE} {`];
  // Traffic to and from the guest itself, and traffic it forwards (a CNI plugin's pods behind the ENI).
  const hooks = [
    ['input', [['iifname', 'ingress']]],
    ['output', [['oifname', 'egress']]],
    ['forward', [['iifname', 'ingress'], ['oifname', 'egress']]],
  ] as const;
  for (const [hook, jumps] of hooks) {
    out.push(`  chain ${hook} {`, `    type filter hook ${hook} priority filter; policy accept;`, '    ct state established,related accept');
    for (const [match, dir] of jumps) for (const link of guarded) out.push(`    ${match} "${link.name}" jump ${dir}_${link.name}`);
    out.push('  }');
  }
  for (const dir of ['ingress', 'egress'] as const) {
    for (const link of guarded) {
      out.push(`  chain ${dir}_${link.name} {`);
      for (const g of link.groups) {
        for (const r of g.rules) {
          if (r.direction !== dir) continue;
          const line = ruleLine(r, dir, members);
          out.push(line === undefined ? `    # ${word(g.id)} rule ${word(r.id)}: matches nothing here` : `    ${line} comment "${word(g.id)}"`);
        }
      }
      out.push('    drop', '  }');
    }
  }
  out.push('}');
  return out.join('\n') + '\n';
}

/** An id as nft may quote it: the store's ids are safe, an imported world's need not be. */
const word = (id: string) => id.replace(/[^A-Za-z0-9_.-]/g, '_');

const V6 = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
const PORTS = /^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$/;

/** One rule in nft's words; undefined when it cannot match anything here (an empty peer group, say). */
function ruleLine(r: SecurityGroupRule, dir: RuleDirection, members: (groupId: string) => readonly string[]): string | undefined {
  const side = dir === 'ingress' ? 'saddr' : 'daddr';
  const parts: string[] = [];
  if (r.peerGroupId) {
    const addresses = members(r.peerGroupId).filter((a) => parseIpv4(a) !== undefined);
    if (addresses.length === 0) return undefined;
    parts.push(`ip ${side} { ${addresses.join(', ')} }`);
  } else if (r.cidr) {
    const cidr = v4Block(r.cidr);
    if (!cidr) return undefined;
    parts.push(`ip ${side} ${cidr}`);
  } else if (r.ipv6Cidr) {
    if (!V6.test(r.ipv6Cidr)) return undefined;
    parts.push(`ip6 ${side} ${r.ipv6Cidr}`);
  }
  const protocol = r.protocol.toUpperCase();
  const l4 = protocol === 'ALL' ? undefined : L4[protocol] ?? (/^\d{1,3}$/.test(protocol) ? protocol : null);
  if (l4 === null) return undefined;
  if (l4 !== undefined) parts.push(`meta l4proto ${l4}`);
  if ((l4 === 'tcp' || l4 === 'udp') && r.ports && r.ports.toUpperCase() !== 'ALL') {
    if (!PORTS.test(r.ports)) return undefined;
    const ports = r.ports.split(',');
    parts.push(`th dport ${ports.length === 1 ? ports[0] : `{ ${ports.join(', ')} }`}`);
  }
  parts.push(r.action === 'DROP' ? 'drop' : 'accept');
  return parts.join(' ');
}

const L4: Record<string, string> = { TCP: 'tcp', UDP: 'udp', ICMP: 'icmp', ICMPV6: 'ipv6-icmp', GRE: 'gre' };

/** A block as nft takes it: the host bits a caller may have left in (10.0.0.5/24) masked off. */
function v4Block(text: string): string | undefined {
  const [ip, len, ...rest] = text.split('/');
  const value = parseIpv4(ip!);
  const prefix = len === undefined ? 32 : Number(len);
  if (value === undefined || rest.length || !/^\d{1,2}$/.test(len ?? '32') || prefix > 32) return undefined;
  return `${formatIpv4((value & maskOf(prefix)) >>> 0)}/${prefix}`;
}
