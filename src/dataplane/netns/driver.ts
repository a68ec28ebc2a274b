/**
 * The real data plane (`--dataplane netns`): instances are network namespaces, ENIs veth pairs on
 * their subnet's bridge, security groups nftables rules. The store is the truth: every effect is
 * applied by reconciling the instances it touches with a plan worked out from the store (see
 * plan.ts), the whole host is reconciled at start and after any change made outside a task, and a
 * failed effect is undone by reconciling again once its roll-back is committed.
 */
import { DomainError } from '../../core/errors.ts';
import type { ChangeEvent } from '../../core/model.ts';
import type { Driver, Effect } from '../driver.ts';
import type { FaultRates } from '../sim.ts';
import { Kernel, KernelError } from './kernel.ts';
import { instanceNs } from './names.ts';
import { planHost, type HostWorld } from './plan.ts';
import { Reconciler } from './reconcile.ts';

export interface NetnsOptions {
  prefix: string;
  /** The world and its running tasks, read in one snapshot. */
  read: () => Promise<HostWorld>;
  kernel?: Kernel;
  /** `--faults`: a hit fails the effect after it reached the host, so the roll-back runs for real. */
  faults?: FaultRates;
  random?: () => number;
  /** `--dataplane-delay`: waited after the host is changed and before the task may end. */
  workMs?: () => number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) => void;
}

/** Set when the whole host is to be put right; otherwise the ids whose instances are. */
type Pending = { all: true } | { all: false; ids: Set<string> };

export class NetnsDriver implements Driver {
  readonly name = 'netns';
  private readonly kernel: Kernel;
  private readonly reconciler: Reconciler;
  private queue: Promise<void> = Promise.resolve();
  private pending: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = 0;
  private stopped = false;
  /** From the last plan: whether an address change anywhere can change a firewall. */
  private peerRules = true;
  /** Rows left off the host already logged: each is said once, not at every pass. */
  private readonly reported = new Set<string>();

  constructor(private readonly o: NetnsOptions) {
    this.kernel = o.kernel ?? new Kernel();
    this.reconciler = new Reconciler(this.kernel, o.prefix);
  }

  /** Only a host that cannot run the data plane stops the start; a namespace that cannot be put right is retried. */
  async start(): Promise<void> {
    await checkHost(this.kernel, this.o.prefix);
    try {
      await this.serial(() => this.sync(undefined));
      this.o.log?.('info', 'netns data plane reconciled with the store', { prefix: this.o.prefix });
    } catch (e) {
      this.o.log?.('warn', 'netns data plane: part of the host could not be reconciled at start; trying again', { error: String(e) });
      this.later(undefined);
    }
  }

  async apply(effect: Effect): Promise<void> {
    try {
      await this.serial(() => this.sync(idsOf(effect)));
    } catch (e) {
      if (e instanceof KernelError) throw new DomainError('DataplaneFailure', { operation: effect.kind, detail: e.message });
      // The store away (Unavailable), say: not the effect's failure. The task is left to its lease
      // and applied again, instead of rolled back.
      throw new Error(`netns data plane: ${effect.kind} not applied: ${e instanceof Error ? e.message : String(e)}`);
    }
    const work = this.o.workMs?.() ?? 0;
    if (work > 0) await new Promise((r) => setTimeout(r, work));
    const rate = this.o.faults?.[effect.kind] ?? this.o.faults?.['*'] ?? 0;
    if (rate > 0 && (this.o.random ?? Math.random)() < rate) {
      throw new DomainError('DataplaneFailure', { operation: effect.kind, detail: 'injected fault (netns driver)' });
    }
  }

  finished(effect: Effect, result: 'SUCCESS' | 'FAILED'): void {
    if (result === 'FAILED') this.later(idsOf(effect));
  }

  /**
   * What a task does is applied by the task; what reaches the host otherwise is followed here: VPCs
   * and subnets (fabrics), groups' rules and who is in them, addresses while some rule names a peer
   * group (its members' addresses are in other instances' rules), resets and restores. A state,
   * attachment or address changed by a task is not followed again.
   */
  changed(event: ChangeEvent): void {
    const followed =
      event.kind === 'vpc' ||
      event.kind === 'subnet' ||
      event.kind === 'securityGroup' ||
      (event.kind === 'privateIp' && this.peerRules) ||
      event.kind === 'world' ||
      ((event.kind === 'eni' || event.kind === 'instance') && JSON.stringify(event.before?.securityGroupIds) !== JSON.stringify(event.after?.securityGroupIds) && event.change === 'changed');
    if (followed) this.later(undefined);
  }

  /** Waits for the reconcile in hand, then removes every namespace with the prefix. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.queue.catch(() => {});
    await cleanup(this.kernel, this.o.prefix);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private async sync(ids: ReadonlySet<string> | undefined): Promise<void> {
    const world = await this.o.read();
    const plan = planHost(world, this.o.prefix);
    this.peerRules = plan.peerRules;
    for (const problem of plan.problems) {
      if (this.reported.has(problem)) continue;
      this.reported.add(problem);
      this.o.log?.('warn', `netns data plane: ${problem}`);
    }
    if (!ids) return this.reconciler.reconcile(plan);
    // The instances the ids name, hold, or are about to hold (an ENI's old and new instance).
    const instances = new Set<string>();
    const known = new Set(world.instances.map((i) => i.id));
    for (const id of ids) if (known.has(id)) instances.add(id);
    for (const eni of world.enis) {
      if (!ids.has(eni.id)) continue;
      for (const id of [eni.instanceId, eni.targetInstanceId]) if (id) instances.add(id);
    }
    const only = new Set([...instances].map((id) => instanceNs(this.o.prefix, id)));
    for (const p of plan.instances.values()) if (p.links.some((l) => ids.has(l.eniId))) only.add(p.ns);
    return this.reconciler.reconcile(plan, only);
  }

  /** A reconcile in the background, merged with any other asked for meanwhile; retried until it works. */
  private later(ids: ReadonlySet<string> | undefined): void {
    if (this.stopped) return;
    if (!ids || this.pending?.all) this.pending = { all: true };
    else this.pending = { all: false, ids: new Set([...(this.pending?.ids ?? []), ...ids]) };
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const pending = this.pending;
      this.pending = undefined;
      if (!pending || this.stopped) return;
      void this.serial(() => this.sync(pending.all ? undefined : pending.ids)).then(
        () => {
          this.retryMs = 0;
        },
        (e: unknown) => {
          this.retryMs = Math.min(Math.max(this.retryMs * 2, 500), 30_000);
          this.o.log?.('warn', 'netns data plane could not be reconciled with the store; trying again', { error: String(e), retryInMs: this.retryMs });
          setTimeout(() => this.later(pending.all ? undefined : pending.ids), this.retryMs).unref?.();
        },
      );
    }, 20);
    this.timer.unref?.();
  }
}

/** Every id an effect names: its resources and the ids in its payload (a migrate's two instances). */
function idsOf(effect: Effect): Set<string> {
  const ids = new Set(effect.resourceIds);
  for (const v of Object.values(effect.payload)) {
    if (typeof v === 'string') ids.add(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') ids.add(x);
  }
  return ids;
}

/** Linux, iproute2, nftables and the right to make namespaces, or a start-up error that says which is missing. */
export async function checkHost(kernel: Kernel, prefix: string): Promise<void> {
  const need = '--dataplane netns needs Linux, root (or CAP_NET_ADMIN and CAP_SYS_ADMIN), iproute2 and nftables';
  if (process.platform !== 'linux') throw new Error(`${need}; this is ${process.platform}`);
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['nft', ['--version']],
    ['sysctl', ['--version']],
  ] as const) {
    await kernel.tool(tool, args).catch((e: unknown) => {
      throw new Error(`${need}; \`${tool}\` does not run here (${firstLine(e)})`);
    });
  }
  const probe = `${prefix}probe-${process.pid}`;
  await kernel.addNamespace(probe, {}).catch(async (e: unknown) => {
    await kernel.deleteNamespace(probe).catch(() => {});
    throw new Error(`${need}; making a network namespace failed (${firstLine(e)})`);
  });
  // `nft --version` runs without the kernel's nf_tables: a table made and dropped proves it is there.
  try {
    await kernel.nft(probe, 'add table inet eniplane_probe\ndelete table inet eniplane_probe\n');
  } catch (e) {
    throw new Error(`${need}; nftables does not work in a namespace here (${firstLine(e)})`);
  } finally {
    await kernel.deleteNamespace(probe).catch(() => {});
  }
}

/** Removes every namespace with the prefix (`eniplane dataplane cleanup`, and a stopping server). */
export async function cleanup(kernel: Kernel, prefix: string): Promise<string[]> {
  const names = await kernel.namespaces(prefix);
  for (const ns of names) await kernel.deleteNamespace(ns);
  return names;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
