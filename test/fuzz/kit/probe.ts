// Probes of the server under fuzz: a digest of every row of every table, read straight from the
// database (to prove a refused request changed nothing), and a watch on its log.

import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { pollUntil } from '../../support/poll.ts';
import { type RunningServer } from '../../support/server.ts';
import { isObj } from './check.ts';


// ================================================================================================
// State digest: every row of every table, read straight from the database.

/** Columns that change with no request at all (the task engine's lease bookkeeping). */
const VOLATILE_COLUMNS: Record<string, ReadonlySet<string>> = { tasks: new Set(['lease_owner', 'lease_expires_at']) };

/** Tables outside the state: migrations bookkeeping and the audit trail (which records refusals too). */
export const inDigest = (table: string): boolean =>
  !table.startsWith('kysely_migration') && !table.startsWith('audit') && !table.startsWith('sqlite_');

/** Rows outside the state: the events the audit trail raises (`call`); every other event is a change. */
const rowsOf = (table: string): string => (table === 'events' ? `(select * from events where kind <> 'call')` : `"${table}"`);

export interface Snapshot {
  hash: string;
  /** Canonical rows by table (sorted), for a readable diff. */
  tables: Map<string, string[]>;
}

export interface StateProbe {
  snapshot(): Promise<Snapshot>;
  /** Waits until no task is RUNNING (accepted work has settled). */
  quiet(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function canonRow(table: string, row: Record<string, unknown>): string {
  const skip = VOLATILE_COLUMNS[table];
  const keys = Object.keys(row)
    .filter((k) => !skip?.has(k))
    .sort();
  return JSON.stringify(keys.map((k) => [k, normValue(row[k])]));
}

function normValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return `hex:${v.toString('hex')}`;
  if (v instanceof Date) return v.toISOString();
  // PostgreSQL gives bigint columns as strings, SQLite as numbers: one form for both.
  if (typeof v === 'number') return String(v);
  return v;
}

function makeSnapshot(tables: Map<string, string[]>): Snapshot {
  const h = createHash('sha256');
  for (const name of [...tables.keys()].sort()) {
    const rows = tables.get(name)!;
    rows.sort();
    h.update(`#${name}\n`);
    for (const r of rows) h.update(`${r}\n`);
  }
  return { hash: h.digest('hex'), tables };
}

export async function openProbe(server: RunningServer): Promise<StateProbe> {
  const running = await (async (): Promise<{ tablesRows(): Promise<Map<string, string[]>>; runningTasks(): Promise<number>; close(): Promise<void> }> => {
    if (/^postgres(ql)?:\/\//.test(server.db)) {
      const client = new pg.Client({ connectionString: server.db });
      await client.connect();
      return {
        async tablesRows() {
          const names = (
            await client.query<{ table_name: string }>(
              `select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`,
            )
          ).rows
            .map((r) => r.table_name)
            .filter(inDigest);
          const out = new Map<string, string[]>(names.map((n) => [n, []]));
          if (names.length === 0) return out;
          // One round trip: every row of every table as JSON.
          const q = names.map((n) => `select '${n}' as t, row_to_json(x)::text as r from ${rowsOf(n)} x`).join(' union all ');
          for (const row of (await client.query<{ t: string; r: string }>(q)).rows) {
            out.get(row.t)!.push(canonRow(row.t, JSON.parse(row.r) as Record<string, unknown>));
          }
          return out;
        },
        async runningTasks() {
          return Number((await client.query<{ n: string }>(`select count(*) as n from tasks where status = 'RUNNING'`)).rows[0]!.n);
        },
        close: () => client.end(),
      };
    }
    const db = new BetterSqlite3(server.db, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return {
      async tablesRows() {
        const names = (db.prepare(`select name from sqlite_master where type = 'table'`).pluck().all() as string[]).filter(inDigest);
        const out = new Map<string, string[]>();
        // One read transaction, so every table is seen at the same commit.
        db.transaction(() => {
          for (const n of names) out.set(n, (db.prepare(`select * from ${rowsOf(n)}`).all() as Array<Record<string, unknown>>).map((r) => canonRow(n, r)));
        })();
        return out;
      },
      async runningTasks() {
        return Number(db.prepare(`select count(*) from tasks where status = 'RUNNING'`).pluck().get());
      },
      close: async () => void db.close(),
    };
  })();
  return {
    snapshot: async () => makeSnapshot(await running.tablesRows()),
    async quiet(timeoutMs = 30_000) {
      await pollUntil(async () => (await running.runningTasks()) === 0, { timeoutMs, intervalMs: 10, what: 'every task to finish' });
    },
    close: () => running.close(),
  };
}

/** What changed between two snapshots, briefly. */
export function diffSnapshots(a: Snapshot, b: Snapshot, max = 6): string {
  const out: string[] = [];
  for (const t of new Set([...a.tables.keys(), ...b.tables.keys()])) {
    const x = new Set(a.tables.get(t) ?? []);
    const y = new Set(b.tables.get(t) ?? []);
    for (const r of y) if (!x.has(r)) out.push(`+ ${t} ${r.slice(0, 400)}`);
    for (const r of x) if (!y.has(r)) out.push(`- ${t} ${r.slice(0, 400)}`);
  }
  return out.slice(0, max).join('\n') + (out.length > max ? `\n… ${out.length - max} more` : '');
}

// ================================================================================================
// Logs: no error-level line, no stack trace.

export class LogWatch {
  private seen = 0;
  constructor(private readonly server: RunningServer) {}

  /** Problems in what the server printed since the last call. */
  problems(): string[] {
    const all = this.server.logs();
    // The harness keeps the tail of a long log; after a cut, look at everything it still has.
    const fresh = all.length >= this.seen ? all.slice(this.seen) : all;
    this.seen = all.length;
    const out: string[] = [];
    for (const line of fresh.split('\n')) {
      if (line.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        obj = undefined;
      }
      if (isObj(obj)) {
        const level = typeof obj.level === 'number' ? obj.level : 0;
        const errText = JSON.stringify([obj.err, obj.error, obj.stack]);
        if (level >= 50 || /\\n\s+at \S/.test(errText)) out.push(line.slice(0, 3000));
      } else if (/^\s+at \S/.test(line) || /^(\w*Error|Uncaught|node:internal)/.test(line)) out.push(line.slice(0, 3000));
    }
    return out;
  }
}

