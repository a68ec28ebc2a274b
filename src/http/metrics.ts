/**
 * Prometheus metrics of one node (prom-client): the API calls, the tasks, the throttled calls, the
 * injected faults and the resources in the store, plus the process defaults. Served at /metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { systemClock, type Clock } from '../core/clock.ts';

/** Distinct action labels kept; beyond, and for names no client would send, the label is `other`. */
const MAX_ACTIONS = 500;

export interface MetricsSources {
  /** Rows of each kind of resource per provider, read at each scrape. */
  resources(): Promise<Array<{ provider: string; kind: string; count: number }>>;
  /** Tasks RUNNING in the store (every node's), read at each scrape. */
  tasksInFlight(): Promise<number>;
  /** Dates the recent-rates buckets. */
  clock?: Clock;
}

/** Calls this node answered, and how many were refusals, in one bucket of `RATE_BUCKET_MS`. */
export interface RateBucket {
  at: number;
  requests: number;
  errors: number;
}

const RATE_BUCKET_MS = 10_000;
const RATE_BUCKETS = 60;
/** The codes of an accepted call: API 3.0, API 2.0 and the admin API say Success, JD Cloud its status. */
const SUCCESS = new Set(['Success', '200']);

export class Metrics {
  readonly registry = new Registry();
  private readonly actions = new Set<string>();
  private readonly requests = new Counter({ name: 'eniplane_api_requests_total', help: 'API calls answered, by dialect, action and vendor code.', labelNames: ['dialect', 'action', 'code'], registers: [this.registry] });
  private readonly duration = new Histogram({
    name: 'eniplane_api_request_duration_seconds',
    help: 'Time from a request arriving to its answer, by dialect and action.',
    labelNames: ['dialect', 'action'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly tasks = new Counter({ name: 'eniplane_tasks_total', help: 'Tasks finished by this node, by operation and result.', labelNames: ['operation', 'result'], registers: [this.registry] });
  private readonly taskDuration = new Histogram({
    name: 'eniplane_task_duration_seconds',
    help: 'Time from a task being accepted to this node finishing it.',
    labelNames: ['operation'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({ name: 'eniplane_rate_limited_total', help: 'Calls refused by the per-account rate limit.', labelNames: ['dialect'], registers: [this.registry] });
  private readonly reclaims = new Counter({ name: 'eniplane_lease_reclaims_total', help: 'Tasks this node claimed after another claim of them lapsed.', registers: [this.registry] });
  private readonly faults = new Counter({ name: 'eniplane_faults_injected_total', help: 'Injected faults that fired on this node.', labelNames: ['stage'], registers: [this.registry] });

  private readonly buckets: RateBucket[] = [];
  private readonly clock: Clock;

  constructor(sources: MetricsSources) {
    this.clock = sources.clock ?? systemClock;
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'eniplane_tasks_in_flight',
      help: 'Tasks RUNNING in the store.',
      registers: [this.registry],
      async collect() {
        this.set(await sources.tasksInFlight());
      },
    });
    new Gauge({
      name: 'eniplane_resources',
      help: 'Resources in the store, by provider and kind.',
      labelNames: ['provider', 'kind'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const r of await sources.resources()) this.set({ provider: r.provider, kind: r.kind }, r.count);
      },
    });
  }

  private action(name: string | undefined): string {
    if (name === undefined || !/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name)) return 'other';
    if (this.actions.has(name)) return name;
    if (this.actions.size >= MAX_ACTIONS) return 'other';
    this.actions.add(name);
    return name;
  }

  request(facts: { dialect: string; action?: string | undefined; code?: string | undefined; throttled?: boolean | undefined }, seconds: number): void {
    const a = this.action(facts.action);
    this.requests.inc({ dialect: facts.dialect, action: a, code: (facts.code ?? 'none').slice(0, 100) });
    this.duration.observe({ dialect: facts.dialect, action: a }, seconds);
    if (facts.throttled) this.rateLimited.inc({ dialect: facts.dialect });
    const at = Math.floor(this.clock.now() / RATE_BUCKET_MS) * RATE_BUCKET_MS;
    let b = this.buckets.at(-1);
    if (!b || b.at !== at) {
      b = { at, requests: 0, errors: 0 };
      this.buckets.push(b);
      if (this.buckets.length > RATE_BUCKETS) this.buckets.shift();
    }
    b.requests++;
    if (!SUCCESS.has(facts.code ?? '')) b.errors++;
  }

  /** The last ten minutes of calls in ten-second buckets, oldest first; empty buckets included. */
  recentRates(): { bucketMs: number; buckets: RateBucket[] } {
    const now = Math.floor(this.clock.now() / RATE_BUCKET_MS) * RATE_BUCKET_MS;
    const byAt = new Map(this.buckets.map((b) => [b.at, b]));
    const buckets = Array.from({ length: RATE_BUCKETS }, (_, i) => {
      const at = now - (RATE_BUCKETS - 1 - i) * RATE_BUCKET_MS;
      return { ...(byAt.get(at) ?? { at, requests: 0, errors: 0 }) };
    });
    return { bucketMs: RATE_BUCKET_MS, buckets };
  }

  task(operation: string, result: 'SUCCESS' | 'FAILED', seconds: number, reclaimed: boolean): void {
    this.tasks.inc({ operation, result });
    this.taskDuration.observe({ operation }, seconds);
    if (reclaimed) this.reclaims.inc();
  }

  faultFired(stage: string): void {
    this.faults.inc({ stage });
  }
}
