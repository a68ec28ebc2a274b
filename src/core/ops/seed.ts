/**
 * Seeds: a declared world (accounts with fixed keys, VPCs, subnets, security groups, instances, ENIs)
 * applied at start. Every resource is made through the same operation an API call would use, so
 * every rule holds; its id is the one declared, or one derived from its account, kind and name, so
 * applying the same seed again finds everything in place and creates nothing. `at` on each item is
 * where the seed declared it (`file:line`), for errors.
 */
import { createHash } from 'node:crypto';
import type { CoreContext } from '../context.ts';
import { DomainError, isDomainError } from '../errors.ts';
import type { IdSource } from '../ids.ts';
import type { Account, Provider, RuleSpecs, Scope } from '../model.ts';
import { createVpc, createSubnet } from './network.ts';
import { createSecurityGroup } from './securityGroups.ts';
import { runInstances } from './instances.ts';
import { createEni } from './enis.ts';
import type { ProviderPolicy } from '../catalog.ts';

interface Located {
  /** Where the seed declares it: `file:line`. */
  at: string;
}

export interface SeedSubnet extends Located {
  id: string;
  name: string;
  cidr: string;
  zone: string;
}

export interface SeedVpc extends Located {
  id: string;
  region: string;
  name: string;
  cidr: string;
  subnets: SeedSubnet[];
}

export interface SeedSecurityGroup extends Located {
  id: string;
  region: string;
  name: string;
  description: string;
  /** JD Cloud: the group's VPC (resolved to its id). */
  vpcId?: string;
  rules: RuleSpecs;
}

export interface SeedInstance extends Located {
  id: string;
  region: string;
  name: string;
  type?: string;
  vpcId: string;
  subnetId: string;
  zone: string;
  privateIp?: string;
  securityGroupIds: string[];
}

export interface SeedEni extends Located {
  id: string;
  region: string;
  name: string;
  description?: string;
  vpcId: string;
  subnetId: string;
  /** The first is the primary address. */
  ips: string[];
  secondaryCount?: number;
  securityGroupIds: string[];
  attachTo?: string;
}

export interface SeedAccount extends Located {
  id: string;
  provider: Provider;
  name: string;
  keys: Array<{ secretId: string; secretKey: string; at: string }>;
  vpcs: SeedVpc[];
  securityGroups: SeedSecurityGroup[];
  instances: SeedInstance[];
  enis: SeedEni[];
}

export interface SeedPlan {
  accounts: SeedAccount[];
}

/** A seed that cannot be applied: the message begins with where the seed says the thing. */
export class SeedError extends Error {
  override readonly name = 'SeedError';
}

/** The id a seeded resource without one gets: the same for the same account, kind and name. */
export function derivedId(policy: Pick<ProviderPolicy, 'idLength'>, prefix: string, ...parts: string[]): string {
  return `${prefix}-${hashText(parts.join('\u0000'), policy.idLength)}`;
}

export function derivedAccountId(provider: Provider, name: string): string {
  return `acc-${hashText(`${provider}\u0000${name}`, 10)}`;
}

function hashText(text: string, length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = createHash('sha256').update(`eniplane-seed\u0000${text}`).digest();
  return Array.from(bytes.subarray(0, length), (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * An IdSource that answers `id` with the given id for its prefix, every time it is asked: a store
 * that retries the write (a deadlock, a conflict) asks again and must get the same id. The seeded
 * operation draws one id of that prefix (its resource's); other prefixes come from `base`.
 */
function presetting(base: IdSource, id: string): IdSource {
  const prefix = id.slice(0, id.lastIndexOf('-'));
  return { ...base, id: (p, length) => (p === prefix ? id : base.id(p, length)) };
}

export interface SeedDeps extends CoreContext {
  seal?: (plain: string) => string;
  /** Longest wait for the tasks of one step (instances running, ENIs attached). */
  settleMs?: number;
}

export interface SeedReport {
  created: string[];
  existing: string[];
}

type Table = 'vpcs' | 'subnets' | 'security_groups' | 'instances' | 'enis';

/** How many of the plan's accounts, keys and resources are not in the store yet (0: nothing to do). */
export async function pendingSeedItems(deps: Pick<CoreContext, 'store'>, plan: SeedPlan): Promise<number> {
  return deps.store.read(async (tx) => {
    let n = 0;
    for (const a of plan.accounts) {
      if (!(await tx.getAccount(a.id))) n++;
      for (const k of a.keys) if (!(await tx.getKey(k.secretId))) n++;
      const items: Array<[Table, { id: string }]> = [
        ...a.vpcs.map((v) => ['vpcs', v] as [Table, { id: string }]),
        ...a.vpcs.flatMap((v) => v.subnets.map((s) => ['subnets', s] as [Table, { id: string }])),
        ...a.securityGroups.map((g) => ['security_groups', g] as [Table, { id: string }]),
        ...a.instances.map((i) => ['instances', i] as [Table, { id: string }]),
        ...a.enis.map((e) => ['enis', e] as [Table, { id: string }]),
      ];
      for (const [table, item] of items) if (!(await tx.ownerOf(table, item.id))) n++;
    }
    return n;
  });
}

export async function applySeed(deps: SeedDeps, plan: SeedPlan): Promise<SeedReport> {
  const report: SeedReport = { created: [], existing: [] };
  // Seeded tasks are due at once, whatever the transition modes say: the world is ready at start.
  const base: CoreContext = { ...deps, timing: { dueAt: (_kind, now) => now } };
  const meta = (at: string) => ({ requestId: deps.ids.uuid(), dialect: `seed ${at}` });

  /** Makes one resource with its declared id, unless it is there; refuses one another account has. */
  const make = async (table: Table, scope: Scope, item: Located & { id: string }, op: (core: CoreContext) => Promise<string | undefined>): Promise<string | undefined> => {
    // What is there already is left as it is; a task it has under way (another node seeding the same
    // file a moment earlier) is waited for like our own.
    const existing = async () => {
      report.existing.push(item.id);
      return (await deps.store.peek((tx) => tx.runningTaskFor(item.id)))?.id;
    };
    const owner = await deps.store.peek((tx) => tx.ownerOf(table, item.id));
    if (owner) {
      if (owner.accountId !== scope.accountId || owner.region !== scope.region) throw new SeedError(`${item.at}: ${item.id} already exists in another account or region`);
      return existing();
    }
    const ctx = { ...base, ids: presetting(deps.ids, item.id) };
    try {
      const taskId = await op(ctx);
      report.created.push(item.id);
      return taskId;
    } catch (e) {
      // Another node applying the same seed made it first: it is there, as declared.
      const now = await deps.store.peek((tx) => tx.ownerOf(table, item.id));
      if (now && now.accountId === scope.accountId && now.region === scope.region) return existing();
      throw located(item.at, e);
    }
  };

  for (const a of plan.accounts) {
    const scopeIn = (region: string): Scope => ({ accountId: a.id, provider: a.provider, region });
    await ensureAccount(deps, a, report);
    for (const v of a.vpcs) {
      const scope = scopeIn(v.region);
      await make('vpcs', scope, v, async (ctx) => void (await createVpc(ctx, scope, { name: v.name, cidr: v.cidr }, meta(v.at))));
      for (const s of v.subnets) await make('subnets', scope, s, async (ctx) => void (await createSubnet(ctx, scope, { vpcId: v.id, name: s.name, cidr: s.cidr, zone: s.zone }, meta(s.at))));
    }
    for (const g of a.securityGroups) {
      const scope = scopeIn(g.region);
      await make('security_groups', scope, g, async (ctx) => void (await createSecurityGroup(ctx, scope, { name: g.name, description: g.description, ...(g.vpcId && { vpcId: g.vpcId }), rules: g.rules }, meta(g.at))));
    }
    const running: Array<{ taskId: string; at: string }> = [];
    for (const i of a.instances) {
      const scope = scopeIn(i.region);
      const taskId = await make('instances', scope, i, async (ctx) => {
        const out = await runInstances(
          ctx,
          scope,
          { zone: i.zone, vpcId: i.vpcId, subnetId: i.subnetId, count: 1, name: i.name, ...(i.type && { instanceType: i.type }), ...(i.privateIp && { privateIps: [i.privateIp] }), securityGroupIds: i.securityGroupIds },
          meta(i.at),
        );
        return out.taskId;
      });
      if (taskId) running.push({ taskId, at: i.at });
    }
    await settle(deps, running);
    const enis: Array<{ taskId: string; at: string }> = [];
    for (const e of a.enis) {
      const scope = scopeIn(e.region);
      const taskId = await make('enis', scope, e, async (ctx) => {
        const out = await createEni(
          ctx,
          scope,
          {
            vpcId: e.vpcId,
            subnetId: e.subnetId,
            name: e.name,
            ...(e.description !== undefined && { description: e.description }),
            ...(e.ips.length && { addresses: e.ips.map((address, n) => ({ address, primary: n === 0 })) }),
            ...(e.secondaryCount !== undefined && { secondaryCount: e.secondaryCount }),
            securityGroupIds: e.securityGroupIds,
            ...(e.attachTo && { attachTo: { instanceId: e.attachTo, attachType: 0 as const } }),
          },
          meta(e.at),
        );
        return out.taskId ?? undefined;
      });
      if (taskId) enis.push({ taskId, at: e.at });
    }
    await settle(deps, enis);
  }
  return report;
}

async function ensureAccount(deps: SeedDeps, a: SeedAccount, report: SeedReport): Promise<void> {
  await deps.store.write(async (tx) => {
    const existing = await tx.getAccount(a.id);
    if (existing && existing.provider !== a.provider) throw new SeedError(`${a.at}: account ${a.id} exists for ${existing.provider}, not ${a.provider}`);
    if (!existing) {
      const account: Account = {
        id: a.id,
        provider: a.provider,
        name: a.name,
        ownerUin: String(1_000_000_000 + (parseInt(hashText(`uin\u0000${a.id}`, 6), 36) % 8_999_999_999)),
        status: 'enabled',
        createdAt: deps.clock.now(),
      };
      await tx.insertAccount(account);
      report.created.push(a.id);
    } else report.existing.push(a.id);
    for (const k of a.keys) {
      const key = await tx.getKey(k.secretId);
      if (key && key.accountId !== a.id) throw new SeedError(`${k.at}: key ${k.secretId} belongs to another account`);
      if (key) continue;
      await tx.insertKey({ secretId: k.secretId, secretKey: deps.seal ? deps.seal(k.secretKey) : k.secretKey, accountId: a.id, status: 'enabled', createdAt: deps.clock.now() });
      report.created.push(k.secretId);
    }
  });
}

/** Waits (bounded) for the tasks to end; one that failed is the seed's error, at its line. */
async function settle(deps: SeedDeps, tasks: Array<{ taskId: string; at: string }>): Promise<void> {
  deps.notify();
  const bound = deps.settleMs ?? 30_000;
  // Counted in the delays waited, not read from the clock: a fake clock stands still.
  for (let waited = 0, delay = 10; ; waited += delay, delay = Math.min(delay * 2, 250)) {
    const states = await deps.store.read(async (tx) => Promise.all(tasks.map(async (t) => ({ ...t, task: await tx.getTask(t.taskId) }))));
    const failed = states.find((s) => s.task?.status === 'FAILED');
    if (failed) throw new SeedError(`${failed.at}: ${failed.task!.kind} failed: ${failed.task!.errorCode}: ${failed.task!.errorMessage}`);
    const open = states.filter((s) => s.task?.status === 'RUNNING');
    if (!open.length) return;
    if (waited > bound) throw new SeedError(`${open[0]!.at}: ${open[0]!.task!.kind} did not end within ${bound} ms (is the task engine running?)`);
    await new Promise((r) => setTimeout(r, delay));
    deps.notify();
  }
}

function located(at: string, e: unknown): Error {
  if (e instanceof SeedError) return e;
  if (isDomainError(e)) return new SeedError(`${at}: ${describeDomainError(e)}`);
  return e instanceof Error ? e : new Error(String(e));
}

function describeDomainError(e: DomainError): string {
  return `${e.kind} ${JSON.stringify(e.data)}`;
}
