/**
 * Change capture: every insert, update and delete of a resource row, and every task's start and end,
 * is written to the `events` table by a database trigger, in the transaction that made it. So no
 * write path can forget to record its change, a rolled-back change records nothing, and every node
 * of a cell sees the changes of all (the events stream reads the table).
 *
 * The time of an event is the writer's injected clock: SQLite calls `eniplane_now()`, a function the
 * store registers on its connection; PostgreSQL reads the `eniplane.now` setting that each write
 * transaction sets when it begins (a writer that does not, such as psql, gets the database's clock).
 * Bulk rewrites of the world (reset, import, restore, bulk loads) switch capture off for their
 * transaction (`eniplane.quiet`) and record one `world` event instead.
 */
import type { SqlDialect } from './migrations.ts';

interface Captured {
  table: string;
  kind: string;
  /** SQL over the row alias R (OLD or NEW) giving the account, region and id. */
  account: string;
  region: string;
  id: string;
  /** The fields an event carries before and after: JSON name → column (`json:` a column of JSON text). */
  fields: Record<string, string>;
  /** Tasks: only their start (insert) and end (status change) are events. */
  startAndEnd?: boolean;
  /** Rows only ever inserted (the audit trail): only their insert is an event. */
  insertOnly?: boolean;
  /** The migration that adds this table's triggers. */
  since: '0012' | '0013';
}

const scoped = { account: 'R.account_id', region: 'R.region', id: 'R.id' };

/** What is captured, table by table: enough for a watcher to follow states and links. */
export const CAPTURED: readonly Captured[] = [
  { table: 'vpcs', kind: 'vpc', ...scoped, fields: { name: 'name', cidr: 'cidr' }, since: '0012' },
  { table: 'subnets', kind: 'subnet', ...scoped, fields: { vpcId: 'vpc_id', name: 'name', cidr: 'cidr', zone: 'zone' }, since: '0012' },
  { table: 'security_groups', kind: 'securityGroup', ...scoped, fields: { vpcId: 'vpc_id', name: 'name', policyVersion: 'policy_version' }, since: '0012' },
  { table: 'instances', kind: 'instance', ...scoped, fields: { state: 'state', name: 'name', vpcId: 'vpc_id', subnetId: 'subnet_id', zone: 'zone', instanceType: 'instance_type', securityGroupIds: 'json:security_group_ids' }, since: '0012' },
  {
    table: 'enis',
    kind: 'eni',
    ...scoped,
    fields: {
      state: 'state', instanceId: 'instance_id', targetInstanceId: 'target_instance_id', deviceIndex: 'device_index',
      primary: 'is_primary', vpcId: 'vpc_id', subnetId: 'subnet_id', name: 'name', mac: 'mac', securityGroupIds: 'json:security_group_ids',
    },
    since: '0012',
  },
  {
    table: 'private_ips',
    kind: 'privateIp',
    // An address row has no account of its own: its ENI's (gone already when the ENI is deleted first).
    account: '(select e.account_id from enis e where e.id = R.eni_id)',
    region: '(select e.region from enis e where e.id = R.eni_id)',
    id: 'R.address',
    fields: { eniId: 'eni_id', subnetId: 'subnet_id', state: 'state', primary: 'is_primary' },
    since: '0012',
  },
  { table: 'elastic_ips', kind: 'eip', ...scoped, fields: { address: 'address', eniId: 'eni_id', privateIp: 'private_ip' }, since: '0012' },
  {
    table: 'tasks',
    kind: 'task',
    ...scoped,
    fields: { operation: 'kind', status: 'status', resourceIds: 'json:resource_ids', errorCode: 'error_code' },
    startAndEnd: true,
    since: '0012',
  },
  {
    // Every audited call (each state-changing request, accepted or refused), for watchers of calls.
    table: 'audit_log',
    kind: 'call',
    account: 'R.account_id',
    region: 'null',
    id: 'R.request_id',
    fields: { dialect: 'dialect', action: 'action', code: 'result_code', status: 'http_status', resourceIds: 'json:resource_ids', source: 'source' },
    insertOnly: true,
    since: '0013',
  },
];

type Change = 'created' | 'changed' | 'deleted';

function jsonOf(dialect: SqlDialect, c: Captured, row: 'OLD' | 'NEW'): string {
  const fn = dialect === 'postgres' ? 'json_build_object' : 'json_object';
  const parts = Object.entries(c.fields).map(([name, col]) => {
    if (!col.startsWith('json:')) return `'${name}', ${row}.${col}`;
    const text = `${row}.${col.slice(5)}`;
    return `'${name}', ${dialect === 'postgres' ? `${text}::json` : `json(${text})`}`;
  });
  return dialect === 'postgres' ? `${fn}(${parts.join(', ')})::text` : `${fn}(${parts.join(', ')})`;
}

const on = (expr: string, row: 'OLD' | 'NEW') => expr.replaceAll('R.', `${row}.`);

function insertEvent(dialect: SqlDialect, c: Captured, change: Change): string {
  const row = change === 'deleted' ? 'OLD' : 'NEW';
  const before = change === 'created' ? 'null' : jsonOf(dialect, c, 'OLD');
  const after = change === 'deleted' ? 'null' : jsonOf(dialect, c, 'NEW');
  return `insert into events (at, account_id, region, kind, resource_id, change, before, after) values (eniplane_now(), ${on(c.account, row)}, ${on(c.region, row)}, '${c.kind}', ${on(c.id, row)}, '${change}', ${before}, ${after});`;
}

const TRIGGERS: ReadonlyArray<{ change: Change; when: 'insert' | 'update' | 'delete' }> = [
  { change: 'created', when: 'insert' },
  { change: 'changed', when: 'update' },
  { change: 'deleted', when: 'delete' },
];

/** The statements that create the capture triggers of the tables a migration adds them to. */
export function captureDdl(dialect: SqlDialect, migration: Captured['since']): string[] {
  const out: string[] = [];
  if (dialect === 'postgres' && migration === '0012') {
    out.push(
      `create or replace function eniplane_now() returns bigint language sql volatile as $$ select coalesce(nullif(current_setting('eniplane.now', true), '')::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint) $$`,
    );
  }
  for (const c of CAPTURED.filter((x) => x.since === migration)) {
    for (const t of TRIGGERS) {
      if (c.startAndEnd && t.when === 'delete') continue;
      if (c.insertOnly && t.when !== 'insert') continue;
      const name = `${c.table}_${t.when}_event`;
      const only = c.startAndEnd && t.when === 'update' ? 'OLD.status is distinct from NEW.status' : undefined;
      if (dialect === 'sqlite') {
        const when = ['eniplane_quiet() = 0', ...(only ? [only.replace('is distinct from', 'is not')] : [])].join(' and ');
        out.push(`create trigger ${name} after ${t.when} on ${c.table} for each row when ${when} begin ${insertEvent(dialect, c, t.change)} end`);
      } else {
        out.push(`create or replace function ${name}() returns trigger language plpgsql as $$ begin ${insertEvent(dialect, c, t.change)} return null; end $$`);
        const when = [`current_setting('eniplane.quiet', true) is distinct from '1'`, ...(only ? [only] : [])].join(' and ');
        out.push(`create trigger ${name} after ${t.when} on ${c.table} for each row when (${when}) execute function ${name}()`);
      }
    }
  }
  return out;
}

/** PostgreSQL: the statement that opens a write transaction and gives its events the writer's time. */
export function beginWithTime(now: number): string {
  // A literal, not a parameter: with no parameters node-postgres sends both statements in one round trip.
  return `begin; select set_config('eniplane.now', '${Math.trunc(now)}', true)`;
}

/** Switches change capture off (or on again) for the rest of the transaction. */
export function quietStatement(dialect: SqlDialect, quiet: boolean): string {
  return dialect === 'postgres' ? `select set_config('eniplane.quiet', '${quiet ? 1 : 0}', true)` : `select eniplane_quiet(${quiet ? 1 : 0})`;
}
