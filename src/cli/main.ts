#!/usr/bin/env node
/** The `eniplane` command: serve the APIs, manage accounts. Every flag also reads an ENIPLANE_* variable. */
import { Command, Option } from 'commander';
import { startNode } from '../app.ts';
import { systemClock } from '../core/clock.ts';
import { randomIdSource } from '../core/ids.ts';
import { createAccount, listAccounts } from '../core/ops/accounts.ts';
import type { Provider } from '../core/model.ts';
import { openStore } from '../store/open.ts';

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
  .addOption(new Option('--dataplane-delay <ms|min-max>', 'how long the sim data plane takes to apply an effect').env('ENIPLANE_DATAPLANE_DELAY').default('0'))
  .addOption(new Option('--lease-ms <ms>', 'how long a node owns a claimed task before others may take it').env('ENIPLANE_LEASE_MS').default('15000'))
  .addOption(new Option('--rate-limit <on|off>', "the vendors' per-account, per-action limits").env('ENIPLANE_RATE_LIMIT').default('on'))
  .addOption(new Option('--catalog <file>', 'JSON file overriding regions, zones and instance types').env('ENIPLANE_CATALOG'))
  .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug').env('ENIPLANE_LOG_LEVEL').default('info'))
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
      catalog: o.catalog,
      logLevel: o.logLevel,
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

accounts
  .command('create')
  .description('create an account with one API key')
  .addOption(new Option('--provider <provider>', 'the cloud the account belongs to').choices(['tencent', 'jdcloud']).makeOptionMandatory())
  .requiredOption('--name <name>', 'a name for the account')
  .addOption(new Option('--db <path|url>', 'database').env('ENIPLANE_DB').default(DEFAULT_DB))
  .option('--json', 'print JSON')
  .action(async (o) => {
    const store = await openStore(o.db);
    try {
      const { account, key } = await createAccount({ store, clock: systemClock, ids: randomIdSource() }, o.provider as Provider, o.name);
      const out = { accountId: account.id, provider: account.provider, name: account.name, ownerUin: account.ownerUin, ...keyFields(account.provider, key) };
      process.stdout.write(o.json ? `${JSON.stringify(out)}\n` : Object.entries(out).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
    } finally {
      await store.close();
    }
  });

accounts
  .command('list')
  .description('list accounts (never their secrets)')
  .addOption(new Option('--db <path|url>', 'database').env('ENIPLANE_DB').default(DEFAULT_DB))
  .option('--json', 'print JSON')
  .action(async (o) => {
    const store = await openStore(o.db);
    try {
      const list = await listAccounts({ store });
      process.stdout.write(o.json ? `${JSON.stringify(list)}\n` : list.map((a) => `${a.id}\t${a.provider}\t${a.name}`).join('\n') + '\n');
    } finally {
      await store.close();
    }
  });

/** Each vendor names its key pair differently: Tencent SecretId/SecretKey, JD Cloud AccessKey/SecretKey. */
function keyFields(provider: Provider, key: { secretId: string; secretKey: string }): Record<string, string> {
  return provider === 'jdcloud' ? { accessKey: key.secretId, secretKey: key.secretKey } : { secretId: key.secretId, secretKey: key.secretKey };
}

function fatal(msg: string): never {
  process.stderr.write(`eniplane: ${msg}\n`);
  process.exit(2);
}

program.parseAsync(process.argv).catch((e: unknown) => fatal(e instanceof Error ? e.message : String(e)));
