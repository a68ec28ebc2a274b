// Runs the real eniplane server as a child process for contract tests, exactly as an operator would
// (`src/cli/main.ts serve` on 127.0.0.1, port 0), and provisions accounts through the real CLI.
// Children are tracked and SIGKILLed when the test process exits, so a failed test never leaks a server.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshDb, type StoreKind } from './stores.ts';

/** Absolute path of the repository root (the server and CLI must be run with this cwd). */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const CLI_ENTRY = 'src/cli/main.ts';
const READY_RE = /^eniplane listening on (http:\/\/([^\s/]+):(\d+))\s*$/;
// A bound, not a wait: a loaded 2-core CI machine can take well over 20 s to start tsx and migrate.
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 30_000;
const MAX_LOG_CHARS = 4 * 1024 * 1024;

export interface ServerOptions {
  /** SQLite file. Default: `eniplane.db` in a fresh temp dir (removed when the test process exits). */
  db?: string;
  /** `--latency MS|MIN-MAX` */
  latency?: string;
  /** `--faults SPEC` */
  faults?: string;
  /** `--rate-limit on|off` */
  rateLimit?: 'on' | 'off';
  /** Extra environment for the child (and for createAccount). Inherited ENIPLANE_* vars are dropped first. */
  env?: Record<string, string>;
  /** Appended verbatim after the generated `serve` arguments. */
  extraArgs?: string[];
}

export interface AccountInfo {
  accountId: string;
  secretId: string;
  secretKey: string;
  provider: string;
  name: string;
  /** Tencent's numeric owner uin (the `uin/…` of six-part resource names). */
  ownerUin: string;
}

export interface RunningServer {
  /** Current port; changes after restart() unless restart({ samePort: true }). */
  port: number;
  /** `http://127.0.0.1:PORT`, as printed by the server. */
  url: string;
  db: string;
  /** Directory holding the db file. */
  dataDir: string;
  /** pid of the current child (undefined once it has exited). */
  readonly pid: number | undefined;
  /** How the most recent child exited, once it has. */
  readonly lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM and wait for exit (SIGKILL and throw if it takes more than 10 s). No-op if not running. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. No-op if not running. */
  kill9(): Promise<void>;
  /** Stop if running, then start again on the same db with the same options. */
  restart(opts?: { samePort?: boolean }): Promise<void>;
  /** `accounts create --provider tencent --json` through the CLI (works whether or not the server runs). */
  createAccount(name?: string): Promise<AccountInfo>;
  /** Everything the server printed so far (stdout and stderr, all runs), for failure messages. */
  logs(): string;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// ---------------------------------------------------------------------------------------------
// Process-exit cleanup

const liveChildren = new Set<ChildProcess>();
const ownedTempDirs = new Set<string>();
let cleanupInstalled = false;

function killAllSync(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  if (process.env.ENIPLANE_KEEP_TMP !== '1') {
    for (const dir of ownedTempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
    ownedTempDirs.clear();
  }
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllSync);
  // 'exit' does not run when the test process is killed by a signal (e.g. the runner's timeout);
  // kill children first, then die of the same signal as we would have without this handler.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllSync();
      process.kill(process.pid, sig);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Environment

const PROXY_VARS = ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'];

/** Environment for children: no proxies, no inherited ENIPLANE_* or node:test context, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of PROXY_VARS) delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('ENIPLANE_')) delete env[k];
  delete env.NODE_TEST_CONTEXT;
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------
// CLI

/** Run `node --import tsx src/cli/main.ts ...args` from the repo root; never rejects on a non-zero exit. */
export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI_ENTRY, ...args],
      {
        cwd: repoRoot,
        env: childEnv(opts.env),
        timeout: opts.timeoutMs ?? CLI_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error && typeof (error as { code?: unknown }).code === 'string') {
          // spawn failure (ENOENT etc.), not a non-zero exit
          reject(error);
          return;
        }
        const e = error as (Error & { code?: number | null; signal?: NodeJS.Signals | null }) | null;
        resolvePromise({ code: e ? (e.code ?? null) : 0, signal: e ? (e.signal ?? null) : null, stdout, stderr });
      },
    );
  });
}

let accountCounter = 0;

/** What `accounts create --json` printed: its last stdout line that is a JSON object with a secret. */
export interface CreatedAccount {
  printed: Record<string, unknown>;
  name: string;
  /** The command as run and what it printed. */
  run: { args: string[]; result: CliResult };
  /** The command and its output, for assertion messages. */
  describe(): string;
}

/** `eniplane accounts create --provider P --json` on a database (the server running or not). */
export async function accountsCreate(db: string, provider: 'tencent' | 'jdcloud', opts: { env?: Record<string, string>; name?: string } = {}): Promise<CreatedAccount> {
  const name = opts.name ?? `${provider === 'jdcloud' ? 'jd' : 'test'}-${process.pid}-${++accountCounter}-${Math.random().toString(36).slice(2, 8)}`;
  const args = ['accounts', 'create', '--provider', provider, '--name', name, '--db', db, '--json'];
  const res = await runCli(args, opts.env ? { env: opts.env } : {});
  const describe = () =>
    `command: eniplane ${args.join(' ')}\nexit: code=${res.code} signal=${res.signal}\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`;
  if (res.code !== 0) throw new Error(`accounts create failed\n${describe()}`);
  // Log lines may be JSON too: take the last object that carries a secret.
  for (const line of res.stdout.split('\n').map((l) => l.trim()).filter(Boolean).reverse()) {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      continue;
    }
    if (obj !== null && typeof obj === 'object' && typeof (obj as Record<string, unknown>).secretKey === 'string') {
      const printed = obj as Record<string, unknown>;
      if (typeof printed.accountId !== 'string' && typeof printed.accountId !== 'number') throw new Error(`accounts create printed credentials without accountId\n${describe()}`);
      return { printed, name, describe, run: { args, result: res } };
    }
  }
  throw new Error(`accounts create printed no JSON line with a secretKey\n${describe()}`);
}

async function createAccountCli(db: string, env: Record<string, string> | undefined, name?: string): Promise<AccountInfo> {
  const { printed: o, name: accountName, describe } = await accountsCreate(db, 'tencent', { ...(env ? { env } : {}), ...(name ? { name } : {}) });
  if (typeof o.secretId !== 'string') throw new Error(`accounts create printed no secretId\n${describe()}`);
  return {
    accountId: String(o.accountId),
    secretId: o.secretId,
    secretKey: o.secretKey as string,
    provider: typeof o.provider === 'string' ? o.provider : 'tencent',
    name: typeof o.name === 'string' ? o.name : accountName,
    ownerUin: typeof o.ownerUin === 'string' ? o.ownerUin : '',
  };
}

// ---------------------------------------------------------------------------------------------
// Server

interface Spawned {
  child: ChildProcess;
  port: number;
  url: string;
  exited: Promise<void>;
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  installCleanup();

  let db: string;
  let dataDir: string;
  const isUrl = opts.db !== undefined && /^postgres(ql)?:\/\//.test(opts.db);
  if (opts.db !== undefined && !isUrl) {
    db = resolve(opts.db);
    dataDir = dirname(db);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'eniplane-test-'));
    ownedTempDirs.add(dir);
    db = opts.db ?? join(dir, 'eniplane.db');
    dataDir = dir;
  }
  // A PostgreSQL node keeps its credentials file in ENIPLANE_DATA_DIR; keep it out of the repo.
  opts = { ...opts, env: { ENIPLANE_DATA_DIR: dataDir, ...opts.env } };

  let output = '';
  let truncated = false;
  const append = (s: string) => {
    output += s;
    if (output.length > MAX_LOG_CHARS) {
      output = output.slice(output.length - MAX_LOG_CHARS / 2);
      truncated = true;
    }
  };
  const logs = () => (truncated ? '[... earlier output truncated ...]\n' : '') + output;

  const baseArgs = (port: number): string[] => {
    const args = ['--import', 'tsx', CLI_ENTRY, 'serve', '--host', '127.0.0.1', '--port', String(port), '--db', db];
    if (opts.latency !== undefined) args.push('--latency', opts.latency);
    if (opts.faults !== undefined) args.push('--faults', opts.faults);
    if (opts.rateLimit !== undefined) args.push('--rate-limit', opts.rateLimit);
    if (opts.extraArgs) args.push(...opts.extraArgs);
    return args;
  };

  let current: Spawned | undefined;
  let lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let runNo = 0;

  const spawnOnce = (port: number): Promise<Spawned> => {
    runNo++;
    const args = baseArgs(port);
    if (runNo > 1) append(`\n--- [test harness] restart #${runNo - 1}: node ${args.join(' ')} ---\n`);
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: childEnv(opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveChildren.add(child);

    const exited = new Promise<void>((res) => {
      child.once('exit', (code, signal) => {
        liveChildren.delete(child);
        lastExit = { code, signal };
        res();
      });
    });

    return new Promise<Spawned>((resolveReady, rejectReady) => {
      let settled = false;
      let stdoutBuf = '';
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          child.kill('SIGKILL');
        } catch {
          // ignore
        }
        rejectReady(new Error(`eniplane server did not start: ${why}\ncommand: node ${args.join(' ')}\n--- output ---\n${logs()}`));
      };
      const timer = setTimeout(() => fail(`no "eniplane listening on ..." line within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);

      child.stdout!.setEncoding('utf8');
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (s: string) => append(s));
      child.stdout!.on('data', (s: string) => {
        append(s);
        if (settled) return;
        stdoutBuf += s;
        let nl: number;
        while ((nl = stdoutBuf.indexOf('\n')) >= 0) {
          const line = stdoutBuf.slice(0, nl).replace(/\r$/, '');
          stdoutBuf = stdoutBuf.slice(nl + 1);
          const m = READY_RE.exec(line);
          if (m) {
            settled = true;
            clearTimeout(timer);
            stdoutBuf = '';
            // Leaked servers must not keep the test process alive; the exit hook kills them.
            child.unref();
            (child.stdout as unknown as { unref?: () => void }).unref?.();
            (child.stderr as unknown as { unref?: () => void }).unref?.();
            resolveReady({ child, port: Number(m[3]), url: m[1]!, exited });
            return;
          }
        }
      });
      child.once('error', (err) => fail(`spawn error: ${err.message}`));
      child.once('exit', (code, signal) => fail(`process exited early (code=${code}, signal=${signal})`));
    });
  };

  const checkHealth = async (url: string): Promise<void> => {
    let status: number | string;
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      status = res.status;
      await res.arrayBuffer();
    } catch (e) {
      status = e instanceof Error ? e.message : String(e);
    }
    if (status !== 200) {
      throw new Error(`eniplane server printed its ready line but GET ${url}/healthz gave ${status}\n--- output ---\n${logs()}`);
    }
  };

  const launch = async (port: number): Promise<void> => {
    const s = await spawnOnce(port);
    current = s;
    server.port = s.port;
    server.url = s.url;
    try {
      await checkHealth(s.url);
    } catch (e) {
      await killAndWait('SIGKILL');
      throw e;
    }
  };

  // The child is unref'd, so awaiting its exit alone would let the event loop drain; the timer keeps it alive.
  const waitExit = async (s: Spawned, ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      s.exited.then(() => true),
      new Promise<boolean>((res) => {
        timer = setTimeout(() => res(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return exited;
  };

  const killAndWait = async (signal: NodeJS.Signals): Promise<void> => {
    const s = current;
    current = undefined;
    if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
    s.child.kill(signal);
    if (await waitExit(s, STOP_TIMEOUT_MS)) return;
    s.child.kill('SIGKILL');
    const died = await waitExit(s, STOP_TIMEOUT_MS);
    throw new Error(
      `eniplane server (pid ${s.child.pid}) did not exit within ${STOP_TIMEOUT_MS} ms of ${signal}; ` +
        `${died ? 'SIGKILLed' : 'even SIGKILL did not end it'}\n--- output ---\n${logs()}`,
    );
  };

  const server: RunningServer = {
    port: 0,
    url: '',
    db,
    dataDir,
    get pid() {
      const c = current?.child;
      return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
    },
    get lastExit() {
      return lastExit;
    },
    stop: () => killAndWait('SIGTERM'),
    kill9: () => killAndWait('SIGKILL'),
    async restart(ropts = {}) {
      const oldPort = server.port;
      await killAndWait('SIGTERM');
      await launch(ropts.samePort ? oldPort : 0);
    },
    createAccount: (name?: string) => createAccountCli(db, opts.env, name),
    logs,
  };

  await launch(0);
  return server;
}

/** A server on a fresh database of `kind`; the returned stop() stops it and drops the database. */
export interface ServerOn {
  server: RunningServer;
  stop(): Promise<void>;
}

export async function serverOn(kind: StoreKind, opts: ServerOptions = {}): Promise<ServerOn> {
  const { db, cleanup } = await freshDb(kind);
  let server: RunningServer;
  try {
    server = await startServer({ rateLimit: 'off', ...opts, db });
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    server,
    async stop() {
      await server.stop().catch(() => server.kill9());
      await cleanup();
    },
  };
}
