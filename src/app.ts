/** Wires the layers of DESIGN.md into one running node: store, core, task engine, dialects, HTTP. */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { FixedWindowRateLimiter } from './auth/rateLimiter.ts';
import { openRedisRateLimiter } from './auth/redisRateLimiter.ts';
import { secretBoxFromEnv, type SecretBox } from './auth/secrets.ts';
import { ReplayCache } from './auth/replayCache.ts';
import { loadCatalog } from './core/catalog.ts';
import { resourceIdPattern } from './core/naming.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { EventFeed } from './core/events.ts';
import { applySeed, pendingSeedItems } from './core/ops/seed.ts';
import { parseSeed } from './seed/parse.ts';
import { controlApi, coreApi } from './core/api.ts';
import { defaultLimits, type CoreContext } from './core/context.ts';
import { randomIdSource } from './core/ids.ts';
import { createAccount } from './core/ops/accounts.ts';
import { FaultBook } from './core/faults.ts';
import { ModeBook } from './core/modes.ts';
import { SimDriver, parseFaults } from './dataplane/sim.ts';
import type { Driver } from './dataplane/driver.ts';
import { NetnsDriver } from './dataplane/netns/driver.ts';
import { DEFAULT_PREFIX, checkPrefix } from './dataplane/netns/names.ts';
import { Tencent3Dialect, LIMITS } from './dialects/tencent3/dialect.ts';
import { Tencent2Dialect } from './dialects/tencent2/dialect.ts';
import { JdcloudDialect } from './dialects/jdcloud/dialect.ts';
import { AdminDialect } from './dialects/admin/dialect.ts';
import { buildServer } from './http/server.ts';
import { Metrics } from './http/metrics.ts';
import { openStore } from './store/open.ts';
import { GroupCommit } from './store/groupCommit.ts';
import type { AuditEntry, EventKind } from './core/model.ts';
import { TaskEngine } from './tasks/engine.ts';
import { parseLatency, parseRange } from './tasks/timing.ts';

export interface ServeConfig {
  host: string;
  port: number;
  db: string;
  latency?: string;
  faults?: string;
  dataplaneDelay?: string;
  leaseMs?: number;
  rateLimit: boolean;
  /** redis://… : rate limits shared by every node of the cell (per node without it). */
  redis?: string;
  requestTimeoutMs?: number;
  catalog?: string;
  logLevel: string;
  clock?: Clock;
  /** A seed file (YAML or JSON) applied at start, before the node answers. */
  seed?: string;
  /** `sim` (default): effects are simulated; `netns`: instances are network namespaces on this host. */
  dataplane?: string;
  /** What every namespace the netns data plane makes starts with. */
  netnsPrefix?: string;
}

export interface RunningNode {
  url: string;
  port: number;
  core: CoreContext;
  engine: TaskEngine;
  logger: Logger;
  close(): Promise<void>;
}

export function dataDirOf(db: string): string {
  return /^postgres(ql)?:\/\//.test(db) ? resolve(process.env.ENIPLANE_DATA_DIR ?? 'data') : dirname(resolve(db));
}

export async function startNode(cfg: ServeConfig): Promise<RunningNode> {
  // Configuration errors surface before anything is opened.
  const timing = parseLatency(cfg.latency);
  const faultRates = parseFaults(cfg.faults);
  const workMs = parseRange(cfg.dataplaneDelay, '--dataplane-delay', '0');
  const dataplane = cfg.dataplane ?? 'sim';
  if (dataplane !== 'sim' && dataplane !== 'netns') throw new Error(`--dataplane: "${dataplane}" must be sim or netns`);
  const prefix = checkPrefix(cfg.netnsPrefix ?? DEFAULT_PREFIX);
  const catalog = loadCatalog(cfg.catalog);
  // A seed that does not parse stops the start before anything is opened.
  const seed = cfg.seed === undefined ? undefined : parseSeed(readSeed(cfg.seed), cfg.seed, catalog);
  // Log lines are written asynchronously, batched while a write is in flight: one synchronous write
  // per request cost a tenth of a request's time under load. Pino flushes what is left at exit.
  const logger = pino({ level: cfg.logLevel, base: { node: process.pid } }, pino.destination({ dest: 1, sync: false }));
  const clock = cfg.clock ?? systemClock;
  const shared = cfg.rateLimit && cfg.redis ? await openRedisRateLimiter(cfg.redis, clock, (level, msg, data) => logger[level](data ?? {}, msg)) : undefined;
  const store = await openStore(cfg.db, { clock });
  const driver: Driver =
    dataplane === 'netns'
      ? new NetnsDriver({
          prefix,
          read: () => store.read(async (tx) => ({ ...(await tx.viewWorld()), tasks: await tx.listTasks('RUNNING') })),
          faults: faultRates,
          workMs,
          log: (level, msg, data) => logger[level](data ?? {}, msg),
        })
      : new SimDriver(faultRates, Math.random, workMs);
  const metrics = new Metrics({
    resources: () => store.peek((tx) => tx.countResources()),
    tasksInFlight: () => store.peek((tx) => tx.countTasks('RUNNING')),
    clock,
  });
  const faults = new FaultBook({ store, clock, random: Math.random, onHit: (f) => metrics.faultFired(f.stage) });
  const engine = new TaskEngine({
    store,
    clock,
    driver,
    faults,
    onFinished: (task, result) => metrics.task(task.kind, result, Math.max(0, clock.now() - task.createdAt) / 1000, task.attempts > 1),
    leaseMs: cfg.leaseMs,
    log: (level, msg, data) => logger[level](data ?? {}, msg),
  });
  // Operations in the control plane's manual mode are held; the others end after the latency.
  const modes = new ModeBook({ store, clock, base: timing });
  await modes.start();
  const events = new EventFeed({ store });
  events.start();
  const core: CoreContext = { store, clock, ids: randomIdSource(), catalog, limits: defaultLimits, timing: modes, notify: () => engine.wake() };

  if (store.kind === 'sqlite') {
    // One embedded store has one server: any lease in it belonged to a process that is gone.
    const reclaimed = await store.write((tx) => tx.releaseAllLeases());
    if (reclaimed) logger.info({ reclaimed }, 'reclaimed tasks left running by a previous process');
  }
  const secrets = secretBoxFromEnv();
  if (!secrets.sealing) {
    logger.warn('ENIPLANE_MASTER_KEY is not set: new API secret keys are stored in clear in the database; set it to encrypt them at rest');
  }
  // The host is put right before any task is claimed; changes made outside tasks are followed after.
  const follower = new AbortController();
  const from = await events.latest();
  await driver.start?.().catch(async (e: unknown) => {
    modes.stop();
    events.stop();
    await store.close();
    throw e;
  });
  if (driver.changed) void followChanges(events, from, driver, follower.signal, logger);
  // The engine runs before the node listens: a seed's instances and attachments complete first.
  engine.start();
  if (seed !== undefined) {
    // On SQLite, whose only writer is this node, a seed that fails halfway leaves the world as it found
    // it: the world is saved first (only when the seed has something to make) and put back. A cell's
    // other nodes may be serving meanwhile, so on PostgreSQL what was made stays, and the next start
    // with the seed put right completes it.
    const before = store.kind === 'sqlite' && (await pendingSeedItems(core, seed)) > 0 ? await store.read((tx) => tx.exportWorld()) : undefined;
    const report = await applySeed({ ...core, seal: secrets.seal }, seed).catch(async (e: unknown) => {
      follower.abort();
      await engine.stop();
      await driver.stop?.();
      if (before) await store.write((tx) => tx.importWorld(before));
      modes.stop();
      events.stop();
      await store.close();
      throw e;
    });
    logger.info({ seed: cfg.seed, created: report.created.length, existing: report.existing.length }, 'applied the seed');
  }
  await ensureDefaultAccount(core, secrets, cfg.db, logger);

  // One limiter and one replay cache for the node: keys carry the dialect, so they never collide.
  const common = {
    core: coreApi(core),
    faults,
    rateLimiter: shared?.limiter ?? (cfg.rateLimit ? new FixedWindowRateLimiter(clock) : undefined),
    // Twice the widest signature window (JD Cloud: ±15 min), so a replay is caught across it.
    replay: new ReplayCache(clock, 2 * 15 * 60_000),
    secrets,
    log: (level: 'error' | 'warn', msg: string, data: Record<string, unknown>) => logger[level](data, msg),
  };
  const admin = new AdminDialect({ control: controlApi(core, { faults, modes, events }), token: adminToken(cfg.db, logger), catalog, rates: () => metrics.recentRates() });
  // Asked in this order which one answers a path; API 3.0, last, answers every other path.
  const dialects = [admin, new JdcloudDialect(common), new Tencent2Dialect(common), new Tencent3Dialect(common)];
  // Entries of requests finishing together share one transaction (see store/groupCommit.ts).
  const auditTrail = new GroupCommit<AuditEntry>(store, (tx, entry) => tx.insertAudit(entry));
  const server = buildServer({
    health: () => store.ping(),
    recordAudit: (entry) => auditTrail.submit(entry),
    dialects,
    resourceIds: resourceIdPattern(catalog),
    logger,
    clock,
    bodyLimit: LIMITS.jsonBody,
    requestTimeoutMs: cfg.requestTimeoutMs,
    metrics,
    // Built by `npm run build` (part of `npm install`) beside the server's own output.
    consoleDir: fileURLToPath(new URL('../dist/console/', import.meta.url)),
  });
  await server.listen({ host: cfg.host, port: cfg.port }).catch(async (e: unknown) => {
    // The port is taken, say: what started before listening stops again.
    follower.abort();
    await engine.stop();
    await driver.stop?.();
    modes.stop();
    events.stop();
    await store.close();
    throw e;
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : cfg.port;

  return {
    url: `http://${cfg.host}:${port}`,
    port,
    core,
    engine,
    logger,
    async close() {
      await server.close();
      follower.abort();
      modes.stop();
      events.stop();
      await engine.stop();
      await driver.stop?.();
      await store.close();
      await shared?.close();
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
    },
  };
}

/** The kinds of change a data plane must follow besides its own tasks' (groups, subnets, resets). */
const HOST_KINDS = new Set<EventKind>(['vpc', 'subnet', 'securityGroup', 'instance', 'eni', 'privateIp', 'world']);

/**
 * Feeds the driver every change it may need, for as long as the node runs: a store that goes away
 * stops the following only until it is back, and then the whole host is put right (what changed
 * meanwhile is not known one by one).
 */
async function followChanges(events: EventFeed, from: number, driver: Driver, signal: AbortSignal, logger: Logger): Promise<void> {
  let cursor = from;
  for (let failures = 0; !signal.aborted; ) {
    try {
      for await (const item of events.follow(cursor, { kinds: HOST_KINDS }, signal)) {
        cursor = item.cursor;
        failures = 0;
        if ('event' in item) driver.changed?.(item.event);
      }
    } catch (e) {
      if (signal.aborted) return;
      if (failures++ === 0) logger.warn({ err: e }, 'the data plane cannot follow changes; trying again');
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** failures, 10_000)).unref?.());
      driver.changed?.({ seq: cursor, at: 0, accountId: null, region: null, kind: 'world', id: '', change: 'reset', before: null, after: null });
    }
  }
}

/**
 * The control plane's bearer token: ENIPLANE_ADMIN_TOKEN, or else the one in `admin-token` beside
 * credentials.json, made (mode 0600) on first start.
 */
export function adminToken(db: string, logger?: Logger): string {
  const given = process.env.ENIPLANE_ADMIN_TOKEN?.trim();
  if (given) return given;
  const dir = dataDirOf(db);
  const file = join(dir, 'admin-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  }
  mkdirSync(dir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  try {
    // 'wx': a node starting at the same moment that made the file first wins; this one reads it.
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw e;
  }
  chmodSync(file, 0o600);
  logger?.info({ file }, 'created the admin token');
  return token;
}

/** On first start, one account so that `npm start` is usable at once; its keys go to a private file. */
async function ensureDefaultAccount(core: CoreContext, secrets: SecretBox, db: string, logger: Logger): Promise<void> {
  const any = await core.store.read(async (tx) => (await tx.listAccounts()).length > 0);
  if (any) return;
  const { account, key } = await createAccount({ ...core, seal: secrets.seal }, 'tencent', 'default');
  const dir = dataDirOf(db);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'credentials.json');
  const body = JSON.stringify({ accountId: account.id, provider: account.provider, name: account.name, secretId: key.secretId, secretKey: key.secretKey }, null, 2);
  writeFileSync(file, `${body}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  logger.info({ accountId: account.id, credentials: file }, 'created the default account');
  process.stdout.write(`eniplane: created a default Tencent account; its SecretId and SecretKey are in ${file}\n`);
}

/** The seed file's text; a missing or unreadable file is a start-up error naming it. */
function readSeed(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--seed: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
