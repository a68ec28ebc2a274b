/**
 * `npm run bench`: the workloads of issue 7 against the built server, each beside its same-run
 * reference (the bare node:http baseline, or the SQLite figure for PostgreSQL), printed as a table
 * and written as JSON. `--quick` runs every workload small and short (under two minutes in all).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import pg from 'pg';
import { openStore } from '../src/store/open.ts';
import { Report } from './report.ts';
import { startBaseline, startServer, type Child } from './processes.ts';
import { seed, type SeedResult } from './seed.ts';
import { clientsFor, describeById, measure, measurePaced, type Measured, type Recorder, type RunOptions } from './workloads/common.ts';
import { cycleOp, planCycles } from './workloads/cycle.ts';
import { filteredPage } from './workloads/scale.ts';

const WORKLOADS = ['describe', 'cycle', 'scale', 'postgres'] as const;
/** ENIs cycled at once in the light-load cycle run. */
const LIGHT_CYCLES = 4;
type Workload = (typeof WORKLOADS)[number];

interface Config {
  quick: boolean;
  run: RunOptions;
  describeEnis: number;
  scaleEnis: number;
  cycleWorkers: number;
  pgAdmin: string;
  logLevel: string;
}

const program = new Command('bench')
  .description('eniplane benchmarks (issue 7): describe, cycle, scale, postgres')
  .addOption(new Option('--quick', 'small databases and short runs (< 2 minutes in all)').default(false))
  .addOption(new Option('--only <list>', `comma-separated subset of ${WORKLOADS.join(',')}`))
  .addOption(new Option('--connections <n>', 'concurrent connections for describe and scale').default('16'))
  .addOption(new Option('--seconds <n>', 'measured seconds per run (default 10, quick 4)'))
  .addOption(new Option('--scale-enis <n>', 'ENIs in the scale database (default 1000000, quick 100000)'))
  .addOption(new Option('--cycle-workers <n>', 'ENIs cycled at once').default('64'))
  .addOption(new Option('--pg <url>', 'PostgreSQL admin URL (a scratch database is created and dropped)').env('ENIPLANE_BENCH_PG').default('postgres://postgres@127.0.0.1:5432/test'))
  .addOption(new Option('--server-log-level <level>', "the server's --log-level").default('info'))
  .addOption(new Option('--profile <dir>', 'write a V8 CPU profile of each eniplane server run here (node --cpu-prof)'))
  .addOption(new Option('--json <file>', 'where to write the JSON report').default('bench/results/latest.json'))
  .parse();

const opts = program.opts<{ quick: boolean; only?: string; connections: string; seconds?: string; scaleEnis?: string; cycleWorkers: string; pg: string; serverLogLevel: string; json: string; profile?: string }>();
const selected = (opts.only?.split(',').map((s) => s.trim()) ?? [...WORKLOADS]) as Workload[];
for (const w of selected) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}; choose from ${WORKLOADS.join(', ')}`);
const seconds = Number(opts.seconds ?? (opts.quick ? 4 : 10));
const cfg: Config = {
  quick: opts.quick,
  run: { connections: Number(opts.connections), warmupMs: opts.quick ? 1000 : 3000, durationMs: seconds * 1000 },
  describeEnis: 100_000,
  scaleEnis: Number(opts.scaleEnis ?? (opts.quick ? 100_000 : 1_000_000)),
  cycleWorkers: Number(opts.cycleWorkers),
  pgAdmin: opts.pg,
  logLevel: opts.serverLogLevel,
};

const report = new Report();
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const ms = (n: number) => Math.round(n * 100) / 100;
/** SQLite figures the PostgreSQL ones are compared with. */
const sqliteRef: { describe?: number; cycle?: number } = {};

async function seeded(db: string, enis: number): Promise<SeedResult> {
  const store = await openStore(db);
  try {
    const s = await seed(store, { enis });
    if (db.startsWith('postgres')) {
      // Autovacuum would gather the planner's statistics within a minute of a bulk load; the bench
      // does not wait for it.
      const c = new pg.Client({ connectionString: db });
      await c.connect();
      await c.query('analyze');
      await c.end();
    }
    log(`seeded ${s.enis.toLocaleString()} ENIs, ${s.instances.toLocaleString()} instances, ${s.accounts.length} accounts in ${(s.ms / 1000).toFixed(1)} s`);
    return s;
  } finally {
    await store.close();
  }
}

async function withServer<T>(child: Child, fn: (c: Child) => Promise<T>): Promise<T> {
  try {
    return await fn(child);
  } finally {
    await child.stop();
    if (child.errors.length) report.note(`server errors seen: ${child.errors.slice(0, 3).join(' | ')}`);
  }
}

function latencyFigures(workload: string, m: Measured, kind: string, p99Target?: number): void {
  const l = m.latency.get(kind);
  if (!l) return;
  report.add(workload, `${kind} p50`, ms(l.pct(50)), 'ms');
  report.add(workload, `${kind} p99`, ms(l.pct(99)), 'ms', p99Target === undefined ? {} : { target: { op: '<', value: p99Target } });
}

function errorsOf(workload: string, m: Measured): void {
  if (m.errors) report.note(`${workload}: ${m.errors} failed operations, first: ${m.firstError}`);
}

/** describe by ID on 100,000 ENIs, against the bare baseline measured in the same run. */
async function describe(db: string, store: 'sqlite' | 'postgres'): Promise<number> {
  const world = await seeded(db, cfg.describeEnis);
  const name = store === 'sqlite' ? 'describe' : 'postgres describe';
  let base: Measured | undefined;
  if (store === 'sqlite') {
    base = await withServer(await startBaseline(), (b) => measure(b, cfg.run, describeById(clientsFor(b.port, world.accounts, cfg.run.connections), world.accounts, false)));
    log(`baseline: ${Math.round(base.perSecond)} req/s`);
  }
  const m = await withServer(await startServer({ db, logLevel: cfg.logLevel, profileDir: opts.profile }), (s) =>
    measure(s, cfg.run, describeById(clientsFor(s.port, world.accounts, cfg.run.connections), world.accounts, true)),
  );
  log(`${name}: ${Math.round(m.perSecond)} req/s`);
  errorsOf(name, m);
  if (base) {
    report.add(name, 'baseline node:http requests/s', Math.round(base.perSecond), 'req/s');
    report.add(name, 'baseline CPU-seconds per 1,000 requests', ms(base.cpuPer1000 * 1000) / 1000, 's');
    report.add(name, 'requests/s', Math.round(m.perSecond), 'req/s', { ratio: { to: 'baseline', value: m.perSecond / base.perSecond }, target: { op: '>=', value: 0.25 }, judge: 'ratio' });
  } else {
    const ref = sqliteRef.describe;
    report.add(name, 'requests/s', Math.round(m.perSecond), 'req/s', ref ? { ratio: { to: 'SQLite', value: m.perSecond / ref }, target: { op: '>=', value: 0.5 }, judge: 'ratio' } : {});
  }
  latencyFigures(name, m, 'describe', 5);
  report.add(name, 'server CPU-seconds per 1,000 requests', ms(m.cpuPer1000 * 1000) / 1000, 's');
  report.add(name, 'server cores busy', ms(m.serverCores), 'cores');
  report.add(name, 'load generator cores busy', ms(m.generatorCores), 'cores');
  return m.perSecond;
}

/** attach → AVAILABLE → detach → AVAILABLE with latency 0, many ENIs at once. */
async function cycle(db: string, store: 'sqlite' | 'postgres', world?: SeedResult): Promise<number> {
  world ??= await seeded(db, Math.max(20_000, Math.ceil(cfg.cycleWorkers / 100) * 20_000));
  const name = store === 'sqlite' ? 'cycle' : 'postgres cycle';
  const { m, light } = await withServer(await startServer({ db, latency: '0', logLevel: cfg.logLevel, profileDir: opts.profile }), async (s) => {
    const clients = clientsFor(s.port, world.accounts, cfg.cycleWorkers);
    const m = await measure(s, { ...cfg.run, connections: cfg.cycleWorkers }, cycleOp(planCycles(clients, world.accounts, cfg.cycleWorkers)));
    // The same cycles with few ENIs at once: latency when the server is not saturated.
    const light = await measure(s, { ...cfg.run, connections: LIGHT_CYCLES }, cycleOp(planCycles(clients, world.accounts, LIGHT_CYCLES)));
    return { m, light };
  });
  log(`${name}: ${Math.round(m.perSecond)} cycles/s`);
  errorsOf(name, m);
  const ref = store === 'postgres' ? sqliteRef.cycle : undefined;
  report.add(name, `completed cycles/s (${cfg.cycleWorkers} ENIs at once)`, Math.round(m.perSecond), 'cycles/s', {
    ...(store === 'sqlite' ? { target: { op: '>=', value: 2000 } } : {}),
    ...(ref ? { ratio: { to: 'SQLite', value: m.perSecond / ref } } : {}),
  });
  latencyFigures(name, m, 'attach→AVAILABLE', store === 'sqlite' ? 20 : undefined);
  latencyFigures(name, m, 'detach→AVAILABLE');
  latencyFigures(name, m, 'attach call');
  latencyFigures(name, m, 'detach call');
  latencyFigures(name, m, 'poll call');
  const polls = m.latency.get('polls per phase');
  if (polls) report.add(name, 'polls per phase p99', polls.pct(99), 'polls');
  report.add(name, 'server CPU-seconds per 1,000 cycles', ms(m.cpuPer1000 * 1000) / 1000, 's');
  report.add(name, 'server cores busy', ms(m.serverCores), 'cores');
  errorsOf(`${name} (${LIGHT_CYCLES} at once)`, light);
  report.add(name, `completed cycles/s (${LIGHT_CYCLES} ENIs at once)`, Math.round(light.perSecond), 'cycles/s');
  const l = light.latency.get('attach→AVAILABLE');
  if (l) report.add(name, `attach→AVAILABLE p99 (${LIGHT_CYCLES} ENIs at once)`, ms(l.pct(99)), 'ms');
  return m.perSecond;
}

/** 1,000,000 ENIs: load time, size, memory, and describe latencies under a mixed load. */
async function scale(db: string): Promise<void> {
  const world = await seeded(db, cfg.scaleEnis);
  const name = `scale (${cfg.scaleEnis.toLocaleString()} ENIs)`;
  report.add(name, 'time to load', ms(world.ms / 1000), 's');
  const size = ['', '-wal', '-shm'].reduce((sum, ext) => sum + (existsSync(db + ext) ? statSync(db + ext).size : 0), 0);
  report.add(name, 'database size', ms(size / 2 ** 20), 'MiB');
  const { m, half } = await withServer(await startServer({ db, logLevel: cfg.logLevel, profileDir: opts.profile }), async (s) => {
    const mixed = (connections: number) => {
      const clients = clientsFor(s.port, world.accounts, connections);
      const byId = describeById(clients, world.accounts, true);
      const page = filteredPage(clients, world.accounts, 1000);
      // Half the requests read one ENI by ID, the other half page through a VPC's ENIs.
      return (i: number, record: Recorder) => (i % 2 === 0 ? byId(i, record) : page(i, record));
    };
    // Saturated: 16 connections asking as fast as answers come back.
    const m = await measure(s, cfg.run, mixed(cfg.run.connections));
    // Loaded but not saturated: the same mix arriving at half the saturated rate, open loop.
    const half = await measurePaced(s, { perSecond: Math.max(10, m.perSecond / 2), warmupMs: cfg.run.warmupMs, durationMs: cfg.run.durationMs }, mixed(64));
    report.add(name, 'server RSS at peak', ms(s.memory().peak / 2 ** 20), 'MiB', { target: { op: '<', value: 1024 } });
    return { m, half };
  });
  errorsOf(name, m);
  errorsOf(`${name} at half load`, half);
  report.add(name, `requests/s (mixed, ${cfg.run.connections} connections)`, Math.round(m.perSecond), 'req/s');
  latencyFigures(name, m, 'describe');
  latencyFigures(name, m, 'filtered page');
  report.add(name, 'requests/s (mixed, half that rate, open loop)', Math.round(half.perSecond), 'req/s');
  for (const [kind, target] of [['describe', 5], ['filtered page', 20]] as const) {
    const l = half.latency.get(kind);
    if (!l) continue;
    report.add(name, `${kind} p50 at half load`, ms(l.pct(50)), 'ms');
    report.add(name, `${kind} p99 at half load`, ms(l.pct(99)), 'ms', { target: { op: '<', value: target } });
  }
  log(`${name}: ${Math.round(m.perSecond)} req/s saturated`);
}

/** A scratch PostgreSQL database for one workload, dropped afterwards. */
async function withPgDatabase(fn: (url: string) => Promise<void>): Promise<void> {
  const name = `eniplane_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: cfg.pgAdmin });
  await admin.connect();
  await admin.query(`create database ${name}`);
  try {
    await fn(cfg.pgAdmin.replace(/\/[^/]*$/, `/${name}`));
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'eniplane-bench-'));
  try {
    if (selected.includes('describe')) sqliteRef.describe = await describe(join(dir, 'describe.db'), 'sqlite');
    if (selected.includes('cycle')) sqliteRef.cycle = await cycle(join(dir, 'cycle.db'), 'sqlite');
    if (selected.includes('scale')) await scale(join(dir, 'scale.db'));
    if (selected.includes('postgres')) {
      await withPgDatabase(async (url) => {
        await describe(url, 'postgres');
      });
      await withPgDatabase(async (url) => {
        await cycle(url, 'postgres');
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const total = (performance.now() - started) / 1000;
  process.stdout.write(`\n${report.table()}\n`);
  for (const n of report.notes) process.stdout.write(`note: ${n}\n`);
  const met = report.figures.filter((f) => f.met !== undefined);
  process.stdout.write(`\ntargets met: ${met.filter((f) => f.met).length} of ${met.length}; ${total.toFixed(0)} s in all${cfg.quick ? ' (quick mode: small databases, short runs)' : ''}\n`);
  mkdirSync(dirname(opts.json), { recursive: true });
  writeFileSync(opts.json, report.json({ quick: cfg.quick, seconds: total, config: cfg, workloads: selected }));
  process.stdout.write(`JSON report: ${opts.json}\n`);
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
