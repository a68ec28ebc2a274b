/**
 * The processes under measurement: the eniplane server (the built `dist/`, as `npm start` runs it)
 * and the bare node:http baseline, each a child whose CPU time and memory are read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux this runs on.
const TICKS_PER_SECOND = 100;

export interface Child {
  port: number;
  pid: number;
  /** User + system CPU seconds the process has used so far. */
  cpuSeconds(): number;
  /** Resident set size now, and its peak, in bytes. */
  memory(): { rss: number; peak: number };
  /** Lines the process wrote to stdout/stderr that look like errors (kept for the report). */
  errors: string[];
  stop(): Promise<void>;
}

function track(child: ChildProcess, ready: RegExp, what: string): Promise<Child> {
  const errors: string[] = [];
  return new Promise((resolvePort, reject) => {
    let buf = '';
    let port: number | undefined;
    const onLine = (line: string) => {
      const m = ready.exec(line);
      if (m && port === undefined) {
        port = Number(m[1]);
        resolvePort(handle(child, port, errors));
      } else if (/"level":(50|60)|error/i.test(line) && errors.length < 20) errors.push(line.slice(0, 500));
    };
    // Output is always read, so a chatty server never blocks on a full pipe.
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      if (buf.length > 65536) buf = '';
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      if (port === undefined) reject(new Error(`${what} exited (${code}) before it was ready: ${errors.join('\n')}`));
    });
  });
}

function handle(child: ChildProcess, port: number, errors: string[]): Child {
  const pid = child.pid!;
  return {
    port,
    pid,
    errors,
    cpuSeconds() {
      // Fields after the parenthesised command name: utime is the 14th field, stime the 15th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
    },
    memory() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    },
    stop() {
      return new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      });
    },
  };
}

export interface ServerFlags {
  db: string;
  latency?: string;
  logLevel?: string;
  extra?: string[];
  /** Write a V8 CPU profile of the server to this directory (node --cpu-prof). */
  profileDir?: string;
}

/** `node dist/cli/main.js serve` on a free port, rate limits off (the bench measures, not throttles). */
export function startServer(f: ServerFlags): Promise<Child> {
  const args = [
    'dist/cli/main.js', 'serve', '--host', '127.0.0.1', '--port', '0', '--db', f.db, '--rate-limit', 'off',
    '--latency', f.latency ?? '0', '--log-level', f.logLevel ?? 'info', ...(f.extra ?? []),
  ];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ENIPLANE_')));
  const node = f.profileDir ? ['--cpu-prof', '--cpu-prof-dir', f.profileDir] : [];
  const child = spawn(process.execPath, [...node, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return track(child, /^eniplane listening on http:\/\/[^\s/]+:(\d+)\s*$/, 'eniplane');
}

/** The bare node:http server of baseline.ts. */
export function startBaseline(): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline.ts'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  return track(child, /^baseline listening on (\d+)$/, 'baseline');
}
