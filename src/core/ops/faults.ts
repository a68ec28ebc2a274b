/**
 * Faults injected at run time, through the control plane. They live in the store, so every node of
 * a cell fires the same ones and counts their hits in one place.
 */
import type { CoreContext } from '../context.ts';
import { fail } from '../errors.ts';
import type { Fault, Provider } from '../model.ts';

type Ctx = Pick<CoreContext, 'store' | 'clock' | 'ids'>;

export interface FaultInput {
  stage: 'request' | 'task';
  provider?: Provider;
  dialect?: string;
  action?: string;
  operation?: string;
  accountId?: string;
  probability: number;
  count?: number;
  latencyMs?: number;
  error: { code: string; message?: string; status?: number };
}

/** At most this many faults at once, and this long a delay (one minute). */
const MAX_FAULTS = 100;
const MAX_LATENCY_MS = 60_000;

export async function addFault(core: Ctx, input: FaultInput): Promise<Fault> {
  if (!(input.probability >= 0 && input.probability <= 1)) fail('InvalidValue', { field: 'fault', reason: 'range', value: `probability ${input.probability}` });
  if (input.count !== undefined && !(Number.isInteger(input.count) && input.count >= 1)) fail('InvalidValue', { field: 'fault', reason: 'range', value: `count ${input.count}` });
  const latencyMs = input.latencyMs ?? 0;
  if (!(Number.isInteger(latencyMs) && latencyMs >= 0 && latencyMs <= MAX_LATENCY_MS)) fail('InvalidValue', { field: 'fault', reason: 'range', value: `latencyMs ${latencyMs}` });
  if (!/^[A-Za-z0-9._:-]{1,100}$/.test(input.error.code)) fail('InvalidValue', { field: 'fault', reason: 'malformed', value: `error.code ${input.error.code}` });
  if (input.stage === 'task' && input.action !== undefined) fail('InvalidValue', { field: 'fault', reason: 'malformed', value: 'a task fault names an operation, not an action' });
  if (input.stage === 'request' && input.operation !== undefined) fail('InvalidValue', { field: 'fault', reason: 'malformed', value: 'a request fault names an action, not an operation' });
  const fault: Fault = {
    id: core.ids.id('fault', 8),
    stage: input.stage,
    provider: input.provider ?? null,
    dialect: input.dialect ?? null,
    action: input.action ?? null,
    operation: input.operation ?? null,
    accountId: input.accountId ?? null,
    probability: input.probability,
    count: input.count ?? null,
    latencyMs,
    error: { code: input.error.code, message: input.error.message ?? `Injected fault ${input.error.code}.`, status: input.error.status ?? null },
    hits: 0,
    createdAt: core.clock.now(),
  };
  await core.store.write(async (tx) => {
    if ((await tx.listFaults()).length >= MAX_FAULTS) fail('InvalidValue', { field: 'fault', reason: 'limitExceeded', limit: MAX_FAULTS });
    await tx.insertFault(fault);
  });
  return fault;
}

export function listFaults(core: Pick<CoreContext, 'store'>): Promise<Fault[]> {
  return core.store.read((tx) => tx.listFaults());
}

export async function removeFault(core: Pick<CoreContext, 'store'>, id: string): Promise<void> {
  if (!(await core.store.write((tx) => tx.deleteFault(id)))) fail('NotFound', { resource: 'fault', id });
}

export function clearFaults(core: Pick<CoreContext, 'store'>): Promise<number> {
  return core.store.write((tx) => tx.clearFaults());
}
