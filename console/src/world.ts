// The console's picture of the world: one reading of GET /_eniplane/world, kept current by the
// events stream. A change applies at once (states and links move as they happen); a creation,
// deletion or address change also asks for a fresh reading, after which the events newer than it
// are applied again, so the picture never goes back in time.

import type { Api, Rates, StreamedEvent } from './api.ts';

export interface Ip {
  address: string;
  primary: boolean;
  state: string;
}
export interface Eni {
  id: string;
  accountId: string;
  region: string;
  vpcId: string;
  subnetId: string;
  name: string;
  mac: string;
  primary: boolean;
  state: string;
  instanceId: string | null;
  targetInstanceId: string | null;
  deviceIndex: number | null;
  securityGroupIds: string[];
  ips: Ip[];
  createdAt: number;
}
export interface Instance {
  id: string;
  accountId: string;
  region: string;
  zone: string;
  vpcId: string;
  subnetId: string;
  name: string;
  instanceType: string;
  state: string;
  securityGroupIds: string[];
  provider?: string;
  eniQuota?: number;
  ipQuota?: number;
}
export interface Subnet {
  id: string;
  accountId: string;
  region: string;
  vpcId: string;
  name: string;
  cidr: string;
  zone: string;
}
export interface Vpc {
  id: string;
  accountId: string;
  region: string;
  name: string;
  cidr: string;
}
export interface SecurityGroup {
  id: string;
  accountId: string;
  region: string;
  vpcId: string;
  name: string;
  description: string;
  rules: Array<{ direction: string; protocol: string; ports: string; cidr: string; action: string }>;
}
export interface Account {
  id: string;
  provider: string;
  name: string;
  status: string;
}
export interface WorldData {
  seq: number;
  accounts: Account[];
  vpcs: Vpc[];
  subnets: Subnet[];
  securityGroups: SecurityGroup[];
  instances: Instance[];
  enis: Eni[];
}
export interface TaskRow {
  id: string;
  accountId: string;
  region: string;
  operation: string;
  status: string;
  resourceIds: string[];
  held: boolean;
  pollsLeft?: number;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  finishedAt: string | null;
}
export interface CallRow {
  requestId: string;
  at: string;
  accountId: string | null;
  dialect: string;
  action: string;
  resultCode: string;
  httpStatus: number;
  resourceIds: string[];
}

export interface State {
  world: WorldData;
  tasks: TaskRow[];
  calls: CallRow[];
  rates: Rates | undefined;
  live: boolean;
  /** Bumped on every change, so views re-render. */
  version: number;
}

const LISTS = { vpc: 'vpcs', subnet: 'subnets', securityGroup: 'securityGroups', instance: 'instances', eni: 'enis' } as const;
const KEEP_TASKS = 300;
const KEEP_CALLS = 500;
const REREAD_MS = 300;

export class WorldStore {
  state: State = { world: { seq: 0, accounts: [], vpcs: [], subnets: [], securityGroups: [], instances: [], enis: [] }, tasks: [], calls: [], rates: undefined, live: false, version: 0 };
  private listeners = new Set<() => void>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing = false;
  private again = false;
  /** Events that arrived while a reading was under way: applied again on top of it. */
  private sinceReading: StreamedEvent[] = [];
  private wasLive = false;
  private stop: (() => void) | undefined;

  constructor(private readonly api: Api) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.state = { ...this.state, version: this.state.version + 1 };
    for (const fn of this.listeners) fn();
  }

  async start(): Promise<void> {
    const [world, tasks, calls] = await Promise.all([this.api.get<WorldData>('world'), this.api.get<{ tasks: TaskRow[] }>('tasks?limit=200'), this.api.get<{ calls: CallRow[] }>('audit?limit=200')]);
    this.state = { ...this.state, world, tasks: tasks.tasks, calls: calls.calls };
    this.changed();
    this.stop = this.api.follow(world.seq, {
      event: (e) => this.onEvent(e),
      rates: (r) => {
        this.state = { ...this.state, rates: r };
        this.changed();
      },
      live: (up) => {
        // Back after a drop: what happened meanwhile may be past what the stream still has.
        if (up && this.wasLive) void this.refresh();
        this.wasLive ||= up;
        this.state = { ...this.state, live: up };
        this.changed();
      },
    });
  }

  close(): void {
    this.stop?.();
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** Reads the whole world again soon: at most one reading per REREAD_MS, however many changes come. */
  refreshSoon(): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, REREAD_MS);
  }

  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = true;
    this.sinceReading = [];
    try {
      const [world, tasks] = await Promise.all([this.api.get<WorldData>('world'), this.api.get<{ tasks: TaskRow[] }>('tasks?limit=200')]);
      this.state = { ...this.state, world, tasks: tasks.tasks };
      // In the order they came: a row's changes arrive in the order they were made.
      for (const e of this.sinceReading) this.apply(e);
      this.changed();
    } catch {
      // The server did not answer: ask again shortly, so a quiet world does not stay stale.
      this.again = true;
    } finally {
      this.refreshing = false;
      if (this.again) {
        this.again = false;
        this.refreshSoon();
      }
    }
  }

  private onEvent(e: StreamedEvent): void {
    if (this.refreshing) this.sinceReading.push(e);
    if (e.kind === 'world') {
      void this.refresh();
      void this.api.get<{ calls: CallRow[] }>('audit?limit=200').then((c) => {
        this.state = { ...this.state, calls: c.calls };
        this.changed();
      });
      return;
    }
    // A change shows at once; a reading soon after brings what events do not carry (addresses, rules).
    this.apply(e);
    if (e.kind !== 'call' && e.kind !== 'task') this.refreshSoon();
    this.changed();
  }

  /** One change applied to the picture in hand. */
  private apply(e: StreamedEvent): void {
    const a = e.after ?? {};
    if (e.kind === 'call') {
      if (this.state.calls.some((c) => c.requestId === e.id)) return;
      const call: CallRow = { requestId: e.id, at: e.at, accountId: e.accountId, dialect: String(a['dialect']), action: String(a['action']), resultCode: String(a['code']), httpStatus: Number(a['status']), resourceIds: (a['resourceIds'] as string[]) ?? [] };
      this.state.calls = [call, ...this.state.calls].slice(0, KEEP_CALLS);
      return;
    }
    if (e.kind === 'task') {
      const tasks = this.state.tasks;
      const i = tasks.findIndex((t) => t.id === e.id);
      if (e.change === 'created' && i < 0) {
        tasks.push({ id: e.id, accountId: e.accountId ?? '', region: e.region ?? '', operation: String(a['operation']), status: String(a['status']), resourceIds: (a['resourceIds'] as string[]) ?? [], held: false, errorCode: null, errorMessage: null, createdAt: e.at, finishedAt: null });
        if (tasks.length > KEEP_TASKS) tasks.splice(0, tasks.length - KEEP_TASKS);
      } else if (i >= 0) {
        const t = tasks[i]!;
        tasks[i] = { ...t, status: String(a['status'] ?? t.status), errorCode: (a['errorCode'] as string | null) ?? null, ...(a['status'] !== 'RUNNING' && { finishedAt: e.at, held: false }) };
      }
      this.state.tasks = [...tasks];
      return;
    }
    const listName = LISTS[e.kind as keyof typeof LISTS];
    if (!listName) return;
    const list = this.state.world[listName] as Array<{ id: string }>;
    const i = list.findIndex((x) => x.id === e.id);
    if (e.change === 'deleted') {
      if (i >= 0) list.splice(i, 1);
    } else if (i >= 0) {
      const patch: Record<string, unknown> = { ...a };
      if ('primary' in patch) patch['primary'] = Boolean(patch['primary']);
      list[i] = { ...list[i]!, ...patch };
    }
    this.state.world = { ...this.state.world, [listName]: [...list] };
  }
}

/** The instance an ENI is shown under: the one it is arriving at, else the one it is on. */
export const shownOn = (e: Eni): string | null => e.targetInstanceId ?? e.instanceId;
