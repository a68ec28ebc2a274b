// Shared pieces of the security contract tests: the CLI as an operator runs it (with its JSON
// output parsed), accounts of either provider created under a given environment (e.g. with
// ENIPLANE_MASTER_KEY), and the audit trail as `eniplane audit --json` prints it.

import assert from 'node:assert/strict';
import { accountsCreate, runCli, type CliResult } from '../../support/server.ts';

export interface AuditRow {
  seq: number;
  at: number;
  accountId: string | null;
  keyId: string | null;
  source: string;
  dialect: string;
  action: string;
  resourceIds: string[];
  resultCode: string;
  httpStatus: number;
  requestId: string;
  [extra: string]: unknown;
}

/** Every CLI run of a test, so that a test can check later that none printed a secret. */
export const cliRuns: Array<{ args: string[]; result: CliResult }> = [];

export function describeRun(args: string[], r: CliResult): string {
  return `eniplane ${args.join(' ')}\nexit code=${r.code} signal=${r.signal}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** Run the CLI, require exit 0, and return the LAST stdout line that parses as JSON. */
export async function cliJson<T = unknown>(args: string[], env: Record<string, string> = {}): Promise<{ value: T; result: CliResult }> {
  const result = await runCli(args, { env });
  cliRuns.push({ args, result });
  assert.equal(result.code, 0, `the CLI must succeed\n${describeRun(args, result)}`);
  const lines = result.stdout.split('\n').map((l) => l.trim()).filter(Boolean).reverse();
  for (const line of lines) {
    try {
      return { value: JSON.parse(line) as T, result };
    } catch {
      // not the JSON line
    }
  }
  assert.fail(`the CLI printed no JSON line\n${describeRun(args, result)}`);
}

export interface Creds {
  provider: 'tencent' | 'jdcloud';
  accountId: string;
  /** SecretId (Tencent) or accessKey (JD Cloud). */
  keyId: string;
  secretKey: string;
}

/** `accounts create --json` with `env` (the master key, if any), for either provider. */
export async function createAccount(db: string, provider: 'tencent' | 'jdcloud', env: Record<string, string> = {}, name?: string): Promise<Creds> {
  const { printed: value, describe, run } = await accountsCreate(db, provider, { env, name: name ?? `sec-${provider}-${Math.random().toString(36).slice(2, 8)}` });
  cliRuns.push(run);
  const keyId = provider === 'jdcloud' ? value.accessKey : value.secretId;
  assert.equal(typeof value.accountId, 'string', describe());
  assert.equal(typeof keyId, 'string', describe());
  assert.equal(value.provider, provider);
  return { provider, accountId: value.accountId as string, keyId: keyId as string, secretKey: value.secretKey as string };
}

/** `accounts rotate-key ID --json`: the new key (its secret shown once). */
export async function rotateKey(db: string, c: Creds, env: Record<string, string> = {}): Promise<Creds> {
  const args = ['accounts', 'rotate-key', c.accountId, '--db', db, '--json'];
  const { value, result } = await cliJson<Record<string, unknown>>(args, env);
  const keyId = c.provider === 'jdcloud' ? value.accessKey : value.secretId;
  assert.equal(value.accountId, c.accountId, describeRun(args, result));
  assert.equal(typeof keyId, 'string', describeRun(args, result));
  assert.equal(typeof value.secretKey, 'string', describeRun(args, result));
  assert.notEqual(keyId, c.keyId, 'rotation issues a new key id');
  assert.notEqual(value.secretKey, c.secretKey, 'rotation issues a new secret');
  return { ...c, keyId: keyId as string, secretKey: value.secretKey as string };
}

/** `accounts disable|enable ID --json`, checking what it prints. */
export async function setEnabled(db: string, accountId: string, enabled: boolean, env: Record<string, string> = {}): Promise<CliResultJson> {
  const args = ['accounts', enabled ? 'enable' : 'disable', accountId, '--db', db, '--json'];
  const { value, result } = await cliJson<Record<string, unknown>>(args, env);
  assert.deepEqual(value, { accountId, status: enabled ? 'enabled' : 'disabled' }, describeRun(args, result));
  return { value, result };
}

export interface CliResultJson {
  value: unknown;
  result: CliResult;
}

export interface ListedAccount {
  accountId: string;
  provider: string;
  name: string;
  status: string;
  keys: Array<{ secretId: string; status: string; createdAt: number }>;
}

export async function listAccounts(db: string, env: Record<string, string> = {}): Promise<{ list: ListedAccount[]; result: CliResult }> {
  const { value, result } = await cliJson<ListedAccount[]>(['accounts', 'list', '--db', db, '--json'], env);
  assert.ok(Array.isArray(value), `accounts list --json prints one array\n${describeRun(['accounts', 'list'], result)}`);
  return { list: value, result };
}

/** `eniplane audit --json` (plus filters). */
export async function readAudit(db: string, filters: string[] = [], env: Record<string, string> = {}): Promise<{ rows: AuditRow[]; result: CliResult }> {
  const args = ['audit', '--db', db, '--json', ...filters];
  const { value, result } = await cliJson<AuditRow[]>(args, env);
  assert.ok(Array.isArray(value), `audit --json prints one array\n${describeRun(args, result)}`);
  return { rows: value, result };
}

/** The text of an error as a client sees it (message, code, body), to search it for secrets. */
export function errorText(e: unknown): string {
  if (e === null || typeof e !== 'object') return String(e);
  const o = e as Record<string, unknown>;
  const parts: string[] = [String(o.message ?? ''), String(o.code ?? ''), String(o.requestId ?? '')];
  for (const k of ['error', 'Error', 'Response', 'body']) if (o[k] !== undefined) parts.push(JSON.stringify(o[k]));
  if (e instanceof Error && e.stack) parts.push(e.stack);
  return parts.join('\n');
}
