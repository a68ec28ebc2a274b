// Shared set-up for the region-cell tests: several `eniplane serve` processes on one fresh
// PostgreSQL database (DESIGN.md "Concurrency and scale-out"), one account, SDK clients per node,
// and a direct pg connection to the same database for checks the API cannot express (leases).

import pg from 'pg';
import { startServer, type AccountInfo, type RunningServer, type ServerOptions } from '../../support/server.ts';
import { freshDb } from '../../support/stores.ts';
import { cvmClient, type CvmClient, vpcClient, type VpcClient } from '../../support/tencent3/client.ts';

export interface Cell {
  db: string;
  servers: RunningServer[];
  creds: AccountInfo;
  /** Direct connection to the cell's database. */
  sql: pg.Client;
  /** SDK clients for node i (new ones once the node restarts on another port). */
  vpc(i: number): VpcClient;
  cvm(i: number): CvmClient;
  /** Start one more node on the same database with the same options; returns its index. */
  addNode(): Promise<number>;
}

export interface TaskRow {
  id: string;
  kind: string;
  status: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  attempts: number;
  finished_at: string | null;
}

/** The tasks rows with these ids (all of them when ids is omitted). */
export async function taskRows(sql: pg.Client, ids?: string[]): Promise<TaskRow[]> {
  const cols = 'id, kind, status, lease_owner, lease_expires_at, attempts, finished_at';
  const r = ids
    ? await sql.query<TaskRow>(`select ${cols} from tasks where id = any($1::text[]) order by seq`, [ids])
    : await sql.query<TaskRow>(`select ${cols} from tasks order by seq`);
  return r.rows;
}

/** Whether a lease_owner (`${hostname}-${pid}-${hex}`) belongs to the process with this pid. */
export const ownedBy = (owner: string | null, pid: number | undefined): boolean =>
  owner !== null && pid !== undefined && owner.includes(`-${pid}-`);

/** `n` nodes on one fresh PostgreSQL database; everything is stopped and dropped afterwards. */
export async function withCell(n: number, opts: Omit<ServerOptions, 'db'>, fn: (cell: Cell) => Promise<void>): Promise<void> {
  const { db, cleanup } = await freshDb('postgres');
  const servers: RunningServer[] = [];
  const sql = new pg.Client({ connectionString: db });
  try {
    await sql.connect();
    for (let i = 0; i < n; i++) servers.push(await startServer({ ...opts, db }));
    const creds = await servers[0]!.createAccount();
    // Clients are cached per (node, port): a restarted node gets fresh clients.
    const vpcs = new Map<string, VpcClient>();
    const cvms = new Map<string, CvmClient>();
    const key = (i: number) => `${i}:${servers[i]!.port}`;
    const cell: Cell = {
      db,
      servers,
      creds,
      sql,
      vpc(i) {
        if (!vpcs.has(key(i))) vpcs.set(key(i), vpcClient(servers[i]!.port, creds));
        return vpcs.get(key(i))!;
      },
      cvm(i) {
        if (!cvms.has(key(i))) cvms.set(key(i), cvmClient(servers[i]!.port, creds));
        return cvms.get(key(i))!;
      },
      async addNode() {
        servers.push(await startServer({ ...opts, db }));
        return servers.length - 1;
      },
    };
    await fn(cell);
  } catch (e) {
    if (e instanceof Error) {
      e.message += servers.map((s, i) => `\n--- node ${i} (pid ${s.pid ?? 'gone'}) output (tail) ---\n${s.logs().slice(-4000)}`).join('');
    }
    throw e;
  } finally {
    for (const s of servers) await s.stop().catch(() => s.kill9().catch(() => {}));
    await sql.end().catch(() => {});
    await cleanup();
  }
}

/** IPv4 dotted quad to an unsigned 32-bit number. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === ((ipToInt(base!) & mask) >>> 0);
}

/**
 * Run `fn` with the node's process paused (SIGSTOP, then SIGCONT), so that another node is the one
 * to claim the tasks `fn` creates. The paused node holds no lease meanwhile (callers make sure).
 */
export async function whilePaused<T>(server: RunningServer, fn: () => Promise<T>): Promise<T> {
  const pid = server.pid;
  if (pid === undefined) throw new Error('whilePaused: the node is not running');
  process.kill(pid, 'SIGSTOP');
  try {
    return await fn();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}
