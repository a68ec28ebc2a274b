/**
 * Versioned migrations, shared by both stores. A migration may branch on the dialect only where
 * the two databases genuinely differ (auto-increment columns, 64-bit integers).
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Migration } from 'kysely';
import { captureDdl } from './changeCapture.ts';

/** A route table id for a VPC that has none yet: `rtb-` and as many [a-z0-9] as its own id has. */
function derivedRouteTableId(vpcId: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const n = vpcId.length - 'vpc-'.length;
  const bytes = createHash('sha256').update(`rtb:${vpcId}`).digest();
  return `rtb-${Array.from(bytes.subarray(0, n), (b) => alphabet[b % alphabet.length]).join('')}`;
}

export type SqlDialect = 'sqlite' | 'postgres';

/** The schema version: the name of the last migration. World documents carry it. */
export function schemaVersion(): string {
  return Object.keys(migrations('sqlite')).sort().at(-1)!;
}

export function migrations(dialect: SqlDialect): Record<string, Migration> {
  // Millisecond timestamps overflow 32 bits; PostgreSQL needs bigint where SQLite's integer is 64-bit.
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_initial': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('accounts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('owner_uin', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('api_keys')
          .addColumn('secret_id', 'text', (c) => c.primaryKey())
          .addColumn('secret_key', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('vpcs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('cidr', 'text', (c) => c.notNull())
          .addColumn('is_default', 'integer', (c) => c.notNull())
          .addColumn('enable_multicast', 'integer', (c) => c.notNull())
          .addColumn('dns_servers', 'text', (c) => c.notNull())
          .addColumn('domain_name', 'text', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('vpcs_scope').on('vpcs').columns(['account_id', 'region']).execute();
        await db.schema
          .createTable('subnets')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('vpc_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('cidr', 'text', (c) => c.notNull())
          .addColumn('zone', 'text', (c) => c.notNull())
          .addColumn('is_default', 'integer', (c) => c.notNull())
          .addColumn('route_table_id', 'text', (c) => c.notNull())
          .addColumn('network_acl_id', 'text', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('subnets_scope').on('subnets').columns(['account_id', 'region', 'vpc_id']).execute();
        await db.schema
          .createTable('instances')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('zone', 'text', (c) => c.notNull())
          .addColumn('vpc_id', 'text', (c) => c.notNull())
          .addColumn('subnet_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('instance_type', 'text', (c) => c.notNull())
          .addColumn('image_id', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('charge_type', 'text', (c) => c.notNull())
          .addColumn('security_group_ids', 'text', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('latest_operation', 'text')
          .addColumn('latest_operation_state', 'text')
          .addColumn('latest_operation_request_id', 'text')
          .addColumn('latest_operation_error', 'text')
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('instances_scope').on('instances').columns(['account_id', 'region']).execute();
        await db.schema
          .createTable('enis')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('vpc_id', 'text', (c) => c.notNull())
          .addColumn('subnet_id', 'text', (c) => c.notNull())
          .addColumn('zone', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull())
          // Invariant 5: a MAC is unique across the whole cloud, not just an account.
          .addColumn('mac', 'text', (c) => c.notNull().unique())
          .addColumn('is_primary', 'integer', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('instance_id', 'text')
          .addColumn('target_instance_id', 'text')
          .addColumn('device_index', 'integer')
          .addColumn('attach_type', 'integer', (c) => c.notNull())
          .addColumn('attached_at', big)
          .addColumn('security_group_ids', 'text', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('qos_level', 'text', (c) => c.notNull())
          .addColumn('trunking', 'integer', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('enis_scope').on('enis').columns(['account_id', 'region']).execute();
        await db.schema.createIndex('enis_instance').on('enis').column('instance_id').execute();
        await db.schema.createIndex('enis_target').on('enis').column('target_instance_id').execute();
        await db.schema
          .createTable('private_ips')
          .addColumn('subnet_id', 'text', (c) => c.notNull())
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('eni_id', 'text', (c) => c.notNull())
          .addColumn('is_primary', 'integer', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('qos_level', 'text', (c) => c.notNull())
          // Invariant 5: an address is held once per subnet, enforced by the database itself.
          .addPrimaryKeyConstraint('private_ips_pk', ['subnet_id', 'address'])
          .execute();
        await db.schema.createIndex('private_ips_eni').on('private_ips').column('eni_id').execute();
        await db.schema
          .createTable('tasks')
          .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('id', 'text', (c) => c.notNull().unique())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('resource_ids', 'text', (c) => c.notNull())
          .addColumn('error_code', 'text')
          .addColumn('error_message', 'text')
          .addColumn('due_at', big, (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_expires_at', big)
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('finished_at', big)
          .execute();
        await db.schema.createIndex('tasks_due').on('tasks').columns(['status', 'due_at']).execute();
        await db.schema
          .createTable('idempotency')
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('token', 'text', (c) => c.notNull())
          .addColumn('params_hash', 'text', (c) => c.notNull())
          .addColumn('result', 'text', (c) => c.notNull())
          .addColumn('task_id', 'text')
          .addColumn('created_at', big, (c) => c.notNull())
          .addPrimaryKeyConstraint('idempotency_pk', ['account_id', 'action', 'token'])
          .execute();
        void sql;
      },
    },
    '0002_auto_delete_and_eips': {
      async up(db: Kysely<any>) {
        // JD Cloud: a secondary ENI may be deleted together with its instance.
        await db.schema.alterTable('enis').addColumn('auto_delete', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema
          .createTable('elastic_ips')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          // A public address is held once in the whole cloud.
          .addColumn('address', 'text', (c) => c.notNull().unique())
          .addColumn('bandwidth_mbps', 'integer', (c) => c.notNull())
          .addColumn('isp', 'text', (c) => c.notNull())
          .addColumn('az', 'text', (c) => c.notNull())
          .addColumn('eni_id', 'text')
          .addColumn('private_ip', 'text')
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('elastic_ips_scope').on('elastic_ips').columns(['account_id', 'region']).execute();
        await db.schema.createIndex('elastic_ips_eni').on('elastic_ips').column('eni_id').execute();
      },
    },
    '0003_account_status_and_audit': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('accounts').addColumn('status', 'text', (c) => c.notNull().defaultTo('enabled')).execute();
        await db.schema
          .createTable('audit_log')
          .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('at', big, (c) => c.notNull())
          .addColumn('account_id', 'text')
          .addColumn('key_id', 'text')
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('dialect', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('resource_ids', 'text', (c) => c.notNull())
          .addColumn('result_code', 'text', (c) => c.notNull())
          .addColumn('http_status', 'integer', (c) => c.notNull())
          .addColumn('request_id', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_log_account_at').on('audit_log').columns(['account_id', 'at']).execute();
      },
    },
    '0004_eni_page_indexes': {
      async up(db: Kysely<any>) {
        // DescribeNetworkInterfaces pages through an account's VPC or subnet in creation order: these
        // find a page's rows in order instead of sorting the account's every ENI. They lead with the
        // scope so that, without statistics, the planner still prefers them to the scope index.
        await db.schema.createIndex('enis_vpc_order').on('enis').columns(['account_id', 'region', 'vpc_id', 'created_at', 'id']).execute();
        await db.schema.createIndex('enis_subnet_order').on('enis').columns(['account_id', 'region', 'subnet_id', 'created_at', 'id']).execute();
        await db.schema.dropIndex('enis_scope').execute();
        await db.schema.createIndex('enis_scope_order').on('enis').columns(['account_id', 'region', 'created_at', 'id']).execute();
      },
    },
    '0005_task_resources': {
      async up(db: Kysely<any>) {
        // "Is an operation in flight on this resource?" is asked on every mutating call. Scanning the
        // RUNNING tasks' JSON id lists grows with the number of tasks in flight; this table answers it
        // by index. It holds rows only while their task runs.
        await db.schema
          .createTable('task_resources')
          .addColumn('resource_id', 'text', (c) => c.notNull())
          .addColumn('task_seq', big, (c) => c.notNull())
          .addPrimaryKeyConstraint('task_resources_pk', ['resource_id', 'task_seq'])
          .execute();
        await db.schema.createIndex('task_resources_task').on('task_resources').column('task_seq').execute();
        const running = await db.selectFrom('tasks').select(['seq', 'resource_ids']).where('status', '=', 'RUNNING').execute();
        for (const t of running as Array<{ seq: number; resource_ids: string }>) {
          const ids = [...new Set(JSON.parse(t.resource_ids) as string[])];
          if (ids.length) await db.insertInto('task_resources').values(ids.map((id) => ({ resource_id: id, task_seq: Number(t.seq) }))).execute();
        }
      },
    },
    '0006_security_groups': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('security_groups')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('vpc_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('project_id', 'text', (c) => c.notNull())
          .addColumn('is_default', 'integer', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('policy_version', 'integer', (c) => c.notNull())
          .addColumn('rules', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('updated_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('security_groups_scope').on('security_groups').columns(['account_id', 'region', 'created_at', 'id']).execute();
      },
    },
    '0007_vpc_route_table_and_broadcast': {
      async up(db: Kysely<any>) {
        // A VPC owns one main route table that all its subnets use. Before this, each subnet had a
        // table id of its own: the VPC keeps its first subnet's, and the others follow it.
        await db.schema.alterTable('vpcs').addColumn('route_table_id', 'text', (c) => c.notNull().defaultTo('')).execute();
        await db.schema.alterTable('subnets').addColumn('enable_broadcast', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        const vpcs = (await db.selectFrom('vpcs').select(['id']).execute()) as Array<{ id: string }>;
        for (const v of vpcs) {
          const first = (await db.selectFrom('subnets').select('route_table_id').where('vpc_id', '=', v.id).orderBy('created_at').orderBy('id').executeTakeFirst()) as
            | { route_table_id: string }
            | undefined;
          const table = first?.route_table_id ?? derivedRouteTableId(v.id);
          await db.updateTable('vpcs').set({ route_table_id: table }).where('id', '=', v.id).execute();
          await db.updateTable('subnets').set({ route_table_id: table }).where('vpc_id', '=', v.id).execute();
        }
      },
    },
    '0008_instance_user_data': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('instances').addColumn('user_data', 'text', (c) => c.notNull().defaultTo('')).execute();
      },
    },
    '0009_snapshots': {
      async up(db: Kysely<any>) {
        // Saved worlds (the control plane's snapshots), kept in the store so every node of a cell sees them.
        await db.schema
          .createTable('snapshots')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('document', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0010_faults': {
      async up(db: Kysely<any>) {
        // Faults injected at run time, shared by every node of a cell; hits are counted here.
        await db.schema
          .createTable('faults')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('spec', 'text', (c) => c.notNull())
          .addColumn('hits', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
      },
    },
    '0011_transition_modes': {
      async up(db: Kysely<any>) {
        // How each operation's tasks end: automatically, or held until the control plane says.
        await db.schema
          .createTable('transition_modes')
          .addColumn('operation', 'text', (c) => c.primaryKey())
          .addColumn('mode', 'text', (c) => c.notNull())
          .addColumn('updated_at', big, (c) => c.notNull())
          .execute();
      },
    },
    '0012_events_polls_and_task_origin': {
      async up(db: Kysely<any>) {
        // Every resource change and task start and end, written by triggers (changeCapture.ts).
        await db.schema
          .createTable('events')
          .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('at', big, (c) => c.notNull())
          .addColumn('account_id', 'text')
          .addColumn('region', 'text')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('resource_id', 'text', (c) => c.notNull())
          .addColumn('change', 'text', (c) => c.notNull())
          .addColumn('before', 'text')
          .addColumn('after', 'text')
          .execute();
        // Where a task came from, so task-stage faults can match a provider or a dialect.
        await db.schema.alterTable('tasks').addColumn('provider', 'text', (c) => c.notNull().defaultTo('')).execute();
        await db.schema.alterTable('tasks').addColumn('dialect', 'text', (c) => c.notNull().defaultTo('')).execute();
        // A task of an operation in `polls` mode ends after this many more describes of its resources.
        await db.schema.alterTable('tasks').addColumn('polls_left', 'integer').execute();
        await db.schema.alterTable('transition_modes').addColumn('polls', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        for (const statement of captureDdl(dialect, '0012')) await sql.raw(statement).execute(db);
      },
    },
    '0013_call_events': {
      async up(db: Kysely<any>) {
        for (const statement of captureDdl(dialect, '0013')) await sql.raw(statement).execute(db);
      },
    },
  };
}
