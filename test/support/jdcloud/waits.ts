// Reads and pollUntil-based waits for JD Cloud's asynchronous vm operations (never a sleep).

import { pollUntil } from '../poll.ts';
import type { JdClients, JdInstance, JdNetworkInterface } from './client.ts';

export async function waitStatus(c: JdClients, instanceId: string, status: string, timeoutMs = 20_000): Promise<JdInstance> {
  return pollUntil(
    async () => {
      const { instance } = (await c.vm.describeInstance({ instanceId })).result;
      return instance.status === status ? instance : false;
    },
    { timeoutMs, what: `instance ${instanceId} status ${status}` },
  );
}

export async function getEni(c: JdClients, networkInterfaceId: string): Promise<JdNetworkInterface> {
  return (await c.vpc.describeNetworkInterface({ networkInterfaceId })).result.networkInterface;
}

export async function getInstance(c: JdClients, instanceId: string): Promise<JdInstance> {
  return (await c.vm.describeInstance({ instanceId })).result.instance;
}

export async function waitEniOn(c: JdClients, eniId: string, instanceId: string, timeoutMs = 20_000): Promise<JdNetworkInterface> {
  return pollUntil(
    async () => {
      const eni = await getEni(c, eniId);
      return eni.instanceId === instanceId ? eni : false;
    },
    { timeoutMs, what: `ENI ${eniId} instanceId '${instanceId}'` },
  );
}

export async function waitGone(what: string, call: () => Promise<unknown>, timeoutMs = 20_000): Promise<void> {
  await pollUntil(
    async () => {
      try {
        await call();
        return false;
      } catch (e) {
        const err = e as { error?: { code?: unknown; status?: unknown } };
        if (err.error?.code === 404 && err.error.status === 'NOT_FOUND') return true;
        throw e;
      }
    },
    { timeoutMs, what: `${what} to answer 404 NOT_FOUND` },
  );
}

export async function waitIdleRunning(c: JdClients, instanceId: string, timeoutMs = 20_000): Promise<void> {
  await pollUntil(
    async () => {
      try {
        await c.vm.startInstance({ instanceId });
      } catch (e) {
        const msg = (e as { error?: { message?: unknown } }).error?.message;
        if (msg === 'Invalid instance status running') return true;
        if (typeof msg === 'string' && msg.startsWith('Conflict with underlay task')) return false;
        throw e;
      }
      throw new Error(`startInstance on running ${instanceId} was accepted`);
    },
    { timeoutMs, what: `instance ${instanceId} idle and running` },
  );
}
