#!/usr/bin/env node
/** The `eniplane` command: serve the APIs, manage accounts. Every flag also reads an ENIPLANE_* variable. */
import { Command, Option } from 'commander';
import { startNode } from '../app.ts';
import { systemClock } from '../core/clock.ts';
import { randomIdSource } from '../core/ids.ts';
import { createAccount, listAccounts, rotateKey, setAccountEnabled } from '../core/ops/accounts.ts';
import { secretBoxFromEnv } from '../auth/secrets.ts';
import type { Store, WorldDocument } from '../core/ports/repo.ts';
import type { Provider } from '../core/model.ts';
import { openStore } from '../store/open.ts';
import { controlApi, type Control } from '../core/api.ts';
import type { FaultInput } from '../core/ops/faults.ts';
import { isDomainError, type DomainError } from '../core/errors.ts';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { cleanup } from '../dataplane/netns/driver.ts';
import { Kernel } from '../dataplane/netns/kernel.ts';
import { DEFAULT_PREFIX, checkPrefix, instanceNs } from '../dataplane/netns/names.ts';

const DEFAULT_DB = './data/eniplane.db';

const program = new Command('eniplane').description('A control plane for elastic network interfaces speaking real cloud APIs.');

program
  .command('serve')
  .description('serve the cloud APIs')
  .addOption(new Option('--host <host>', 'address to listen on').env('ENIPLANE_HOST').default('127.0.0.1'))
  .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').env('ENIPLANE_PORT').default('9280'))
  .addOption(new Option('--db <path|url>', 'SQLite file, or postgres://… for a shared cell').env('ENIPLANE_DB').default(DEFAULT_DB))
  .addOption(new Option('--latency <ms|min-max>', 'how long async operations stay transitional').env('ENIPLANE_LATENCY').default('100'))
  .addOption(new Option('--faults <spec>', 'injected failure rates, e.g. attach=0.2,*=0.01').env('ENIPLANE_FAULTS'))
  .addOption(new Option('--dataplane-delay <ms|min-max>', 'how long the data plane takes to apply an effect (netns: waited after the host is changed)').env('ENIPLANE_DATAPLANE_DELAY').default('0'))
  .addOption(new Option('--lease-ms <ms>', 'how long a node owns a claimed task before others may take it').env('ENIPLANE_LEASE_MS').default('15000'))
  .addOption(new Option('--rate-limit <on|off>', "the vendors' per-account, per-action limits").env('ENIPLANE_RATE_LIMIT').default('on'))
  .addOption(new Option('--redis <url>', 'redis://… shared by the cell: rate limits hold across all its nodes').env('ENIPLANE_REDIS'))
  .addOption(new Option('--request-timeout <ms>', 'time a client has to send a whole request').env('ENIPLANE_REQUEST_TIMEOUT').default('30000'))
  .addOption(new Option('--catalog <file>', 'JSON file overriding regions, zones and instance types').env('ENIPLANE_CATALOG'))
  .addOption(new Option('--seed <file>', 'YAML or JSON world (accounts, keys, VPCs, subnets, groups, instances, ENIs) applied at start; idempotent').env('ENIPLANE_SEED'))
  .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug').env('ENIPLANE_LOG_LEVEL').default('info'))
  .addOption(new Option('--dataplane <sim|netns>', 'sim: effects simulated; netns: instances are network namespaces here (Linux, root)').env('ENIPLANE_DATAPLANE').default('sim'))
  .addOption(netnsPrefixOption())
  .action(async (o) => {
    const port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) fatal(`--port: "${o.port}" is not a port number`);
    if (o.rateLimit !== 'on' && o.rateLimit !== 'off') fatal(`--rate-limit: "${o.rateLimit}" must be on or off`);
    const leaseMs = Number(o.leaseMs);
    if (!Number.isInteger(leaseMs) || leaseMs < 100) fatal(`--lease-ms: "${o.leaseMs}" must be an integer of at least 100`);
    const node = await startNode({
      host: o.host,
      port,
      db: o.db,
      latency: o.latency,
      faults: o.faults,
      dataplaneDelay: o.dataplaneDelay,
      leaseMs,
      rateLimit: o.rateLimit === 'on',
      redis: o.redis,
      requestTimeoutMs: positiveInt(o.requestTimeout, '--request-timeout'),
      catalog: o.catalog,
      logLevel: o.logLevel,
      seed: o.seed,
      dataplane: o.dataplane,
      netnsPrefix: o.netnsPrefix,
    }).catch((e: unknown) => fatal(e instanceof Error ? e.message : String(e)));
    process.stdout.write(`eniplane listening on ${node.url}\n`);
    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      node.logger.info({ signal }, 'shutting down');
      node.close().then(
        () => process.exit(0),
        (e: unknown) => {
          node.logger.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

const accounts = program.command('accounts').description('manage accounts and their API keys');
const dbOption = () => new Option('--db <path|url>', 'database').env('ENIPLANE_DB').default(DEFAULT_DB);

/** Opens the store for one command and always closes it. */
async function withStore<T>(db: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

accounts
  .command('create')
  .description('create an account with one API key (the secret is shown once)')
  .addOption(new Option('--provider <provider>', 'the cloud the account belongs to').choices(['tencent', 'jdcloud']).makeOptionMandatory())
  .requiredOption('--name <name>', 'a name for the account')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (o) => {
    await withStore(o.db, async (store) => {
      const { account, key } = await createAccount({ store, clock: systemClock, ids: randomIdSource(), seal: secretBoxFromEnv().seal }, o.provider as Provider, o.name);
      const out = { accountId: account.id, provider: account.provider, name: account.name, ownerUin: account.ownerUin, ...keyFields(account.provider, key) };
      print(o.json, out, Object.entries(out).map(([k, v]) => `${k}: ${v}`).join('\n'));
    });
  });

accounts
  .command('list')
  .description('list accounts and their key ids (never their secrets)')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (o) => {
    await withStore(o.db, async (store) => {
      const list = (await listAccounts({ store })).map((a) => ({ accountId: a.id, provider: a.provider, name: a.name, status: a.status, keys: a.keys }));
      const text = list.map((a) => `${a.accountId}\t${a.provider}\t${a.status}\t${a.name}\t${a.keys.map((k) => `${k.secretId}(${k.status})`).join(',')}`).join('\n');
      print(o.json, list, text);
    });
  });

for (const [command, enabled] of [['disable', false], ['enable', true]] as const) {
  accounts
    .command(`${command} <accountId>`)
    .description(`${command} an account: its keys are ${enabled ? 'accepted again' : 'refused at once, on every node'}`)
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (accountId: string, o) => {
      await withStore(o.db, async (store) => {
        await setAccountEnabled({ store }, accountId, enabled).catch(() => fatal(`no account ${accountId}`));
        print(o.json, { accountId, status: enabled ? 'enabled' : 'disabled' }, `${accountId} ${enabled ? 'enabled' : 'disabled'}`);
      });
    });
}

accounts
  .command('rotate-key <accountId>')
  .description('issue a new API key and disable every older one (the new secret is shown once)')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (accountId: string, o) => {
    await withStore(o.db, async (store) => {
      const key = await rotateKey({ store, clock: systemClock, ids: randomIdSource(), seal: secretBoxFromEnv().seal }, accountId).catch(() =>
        fatal(`no account ${accountId}`),
      );
      const provider = (await listAccounts({ store })).find((a) => a.id === accountId)!.provider;
      const out = { accountId, ...keyFields(provider, key) };
      print(o.json, out, Object.entries(out).map(([k, v]) => `${k}: ${v}`).join('\n'));
    });
  });

program
  .command('audit')
  .description('read the audit trail of mutating calls')
  .option('--account <accountId>', 'only this account')
  .option('--since <time>', 'only entries at or after this time (ISO 8601 or epoch milliseconds)')
  .addOption(dbOption())
  .option('--json', 'print JSON (one array)')
  .action(async (o) => {
    let since: number | undefined;
    if (o.since !== undefined) {
      since = /^\d+$/.test(o.since) ? Number(o.since) : Date.parse(o.since);
      if (!Number.isFinite(since)) fatal(`--since: "${o.since}" is not a time`);
    }
    await withStore(o.db, async (store) => {
      const entries = await store.read((tx) => tx.listAudit({ accountId: o.account, since }));
      const text = entries
        .map((e) => [new Date(e.at).toISOString(), e.accountId ?? '-', e.keyId ?? '-', e.source, e.dialect, e.action, e.resultCode, e.resourceIds.join(','), e.requestId].join('\t'))
        .join('\n');
      print(o.json, entries, text);
    });
  });

// ---- the control plane, offline on the database (a running server sees the result at once) ----

/** The control operations on one store for one command; a refusal is printed, not thrown. */
async function withControl<T>(db: string, fn: (control: Control) => Promise<T>): Promise<T> {
  return withStore(db, (store) =>
    fn(controlApi({ store, clock: systemClock, notify() {}, ids: randomIdSource() })).catch((e: unknown) => fatal(isDomainError(e) ? controlMessage(e) : e instanceof Error ? e.message : String(e))),
  );
}

function controlMessage(e: DomainError): string {
  const d = e.data as { resource?: string; id?: string; field?: string; value?: unknown };
  return e.kind === 'NotFound' ? `no ${d.resource} named "${d.id}"` : `${d.field ?? e.kind}: ${typeof d.value === 'string' ? d.value : JSON.stringify(d.value)} is not valid`;
}

program
  .command('reset')
  .description('remove every resource and task (of one account, or of all); accounts and keys stay')
  .option('--account <accountId>', 'only this account')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (o) => {
    const r = await withControl(o.db, (c) => c.reset(o.account));
    print(o.json, r, `removed ${r.removed} rows`);
  });

const snapshot = program.command('snapshot').description('save, list, restore and delete whole worlds (kept in the database)');
snapshot
  .command('save <name>')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (name: string, o) => {
    const r = await withControl(o.db, (c) => c.saveSnapshot(name));
    print(o.json, { name: r.name, createdAt: new Date(r.createdAt).toISOString() }, `saved ${r.name}`);
  });
snapshot
  .command('list')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (o) => {
    const list = (await withControl(o.db, (c) => c.listSnapshots())).map((x) => ({ name: x.name, createdAt: new Date(x.createdAt).toISOString() }));
    print(o.json, list, list.map((x) => `${x.createdAt}\t${x.name}`).join('\n'));
  });
for (const verb of ['restore', 'delete'] as const) {
  snapshot
    .command(`${verb} <name>`)
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (name: string, o) => {
      await withControl(o.db, (c) => (verb === 'restore' ? c.restoreSnapshot(name) : c.deleteSnapshot(name)));
      print(o.json, { [verb === 'restore' ? 'restored' : 'deleted']: name }, `${verb === 'restore' ? 'restored' : 'deleted'} ${name}`);
    });
}

program
  .command('export')
  .description('print the whole world as one versioned JSON document')
  .addOption(dbOption())
  .action(async (o) => {
    const doc = await withControl(o.db, (c) => c.exportWorld());
    process.stdout.write(`${JSON.stringify(doc)}\n`);
  });

program
  .command('import <file>')
  .description('replace the whole world with a document from export (another store\'s too)')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (file: string, o) => {
    let doc: WorldDocument;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as WorldDocument;
    } catch (e) {
      fatal(`${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (doc?.format !== 'eniplane-world' || typeof doc.version !== 'string' || typeof doc.tables !== 'object' || doc.tables === null) fatal(`${file}: not an eniplane world document`);
    await withControl(o.db, (c) => c.importWorld(doc));
    print(o.json, { imported: file }, `imported ${file}`);
  });

const faults = program.command('faults').description('failures injected at run time, seen by every node (the same as POST /_eniplane/faults)');
faults
  .command('add <spec>')
  .description('add a fault from its JSON, e.g. \'{"stage":"request","action":"AttachNetworkInterface","probability":1,"count":1,"error":{"code":"InternalError"}}\'')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (spec: string, o) => {
    let input: FaultInput;
    try {
      input = JSON.parse(spec) as FaultInput;
    } catch (e) {
      fatal(`the fault is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (input === null || typeof input !== 'object' || typeof input.error !== 'object' || input.error === null) fatal('a fault needs at least stage, probability and error.code');
    const f = await withControl(o.db, (c) => c.addFault(input));
    print(o.json, f, `added ${f.id}`);
  });
faults
  .command('list')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (o) => {
    const list = await withControl(o.db, (c) => c.listFaults());
    print(o.json, list, list.map((f) => `${f.id}\t${f.stage}\t${f.action ?? f.operation ?? '*'}\t${f.error.code}\tp=${f.probability}\thits=${f.hits}${f.count === null ? '' : `/${f.count}`}`).join('\n'));
  });
faults
  .command('clear [id]')
  .description('remove one fault, or all')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (id: string | undefined, o) => {
    const removed = await withControl(o.db, async (c) => (id === undefined ? c.clearFaults() : c.removeFault(id).then(() => 1)));
    print(o.json, { removed }, `removed ${removed}`);
  });

program
  .command('exec')
  .description('run a command inside an instance of the netns data plane (like docker exec): eniplane exec INSTANCE_ID -- CMD...')
  .argument('<instanceId>', 'the instance')
  .argument('<command...>', 'the command and its arguments (after --)')
  .addOption(netnsPrefixOption())
  .action((instanceId: string, command: string[], o: { netnsPrefix: string }) => {
    const ns = instanceNs(checkedPrefix(o.netnsPrefix), instanceId);
    if (!existsSync(`/run/netns/${ns}`)) {
      fatal(`instance ${instanceId} has no namespace ${ns} on this host: it is not RUNNING or STOPPED, or the server does not run with --dataplane netns (and this --netns-prefix)`);
    }
    const r = spawnSync('ip', ['netns', 'exec', ns, ...command], { stdio: 'inherit' });
    if (r.error) fatal(`ip netns exec: ${r.error.message}`);
    // As a shell reports it: a command killed by a signal exits 128 + its number.
    process.exit(r.status ?? 128 + (r.signal ? (constants.signals[r.signal] ?? 0) : 0));
  });

const dataplane = program.command('dataplane').description('the netns data plane on this host');
dataplane
  .command('cleanup')
  .description("remove every namespace with the prefix (what a server that crashed left behind); stop that server first")
  .addOption(netnsPrefixOption())
  .option('--json', 'print JSON')
  .action(async (o: { netnsPrefix: string; json?: boolean }) => {
    const removed = await cleanup(new Kernel(), checkedPrefix(o.netnsPrefix));
    print(!!o.json, { removed }, removed.length ? `removed ${removed.join(' ')}` : 'nothing to remove');
  });

function netnsPrefixOption(): Option {
  return new Option('--netns-prefix <prefix>', 'what every namespace of the netns data plane starts with').env('ENIPLANE_NETNS_PREFIX').default(DEFAULT_PREFIX);
}

function checkedPrefix(prefix: string): string {
  try {
    return checkPrefix(prefix);
  } catch (e) {
    return fatal((e as Error).message);
  }
}

/** Each vendor names its key pair differently: Tencent SecretId/SecretKey, JD Cloud AccessKey/SecretKey. */
function keyFields(provider: Provider, key: { secretId: string; secretKey: string }): Record<string, string> {
  return provider === 'jdcloud' ? { accessKey: key.secretId, secretKey: key.secretKey } : { secretId: key.secretId, secretKey: key.secretKey };
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) fatal(`${flag}: "${v}" must be a positive integer`);
  return n;
}

function fatal(msg: string): never {
  process.stderr.write(`eniplane: ${msg}\n`);
  process.exit(2);
}

program.parseAsync(process.argv).catch((e: unknown) => fatal(e instanceof Error ? e.message : String(e)));
