/**
 * Elastic IPs: only as much as the attach rule needs (JD Cloud spec §4.18). A public address is
 * bound to one private IP of one ENI; an address tied to a zone only to an ENI of that zone's instances.
 */
import type { CoreContext } from '../context.ts';
import { fail } from '../errors.ts';
import type { ElasticIp, Eni, Scope } from '../model.ts';
import { newId } from '../naming.ts';
import { requireEipZone } from '../rules.ts';
import type { Repo } from '../ports/repo.ts';
import { findZone } from '../catalog.ts';
import { mustGetEni, mustGetInstance } from './enis.ts';

export interface CreateEipsInput {
  count: number;
  bandwidthMbps: number;
  isp: string;
  /** '' (default) is an every-zone address; a zone name makes a zone-bound one. */
  az?: string;
  address?: string;
}

/** A documentation-range public block, so an emulated address can never be mistaken for a real one. */
function randomPublicAddress(core: CoreContext): string {
  return `198.18.${core.ids.int(0, 256)}.${core.ids.int(1, 255)}`;
}

export async function createEips(core: CoreContext, scope: Scope, input: CreateEipsInput): Promise<ElasticIp[]> {
  const az = input.az ?? '';
  if (az !== '') {
    const zone = findZone(core.catalog, scope.provider, az);
    if (!zone || zone.region.region !== scope.region) fail('NotFound', { resource: 'zone', id: az });
  }
  if (input.address !== undefined && input.count !== 1) fail('InvalidValue', { field: 'eip.count', reason: 'range', value: input.count });
  return core.store.write(async (tx) => {
    const out: ElasticIp[] = [];
    for (let i = 0; i < input.count; i++) {
      let address = input.address;
      if (address !== undefined && (await tx.eipAddressTaken(address))) fail('IpInUse', { ip: address });
      while (address === undefined || (await tx.eipAddressTaken(address))) address = randomPublicAddress(core);
      const eip: ElasticIp = {
        id: newId(core, scope.provider, 'eip'),
        accountId: scope.accountId,
        region: scope.region,
        address,
        bandwidthMbps: input.bandwidthMbps,
        isp: input.isp,
        az,
        eniId: null,
        privateIp: null,
        createdAt: core.clock.now(),
      };
      await tx.insertEip(eip);
      out.push(eip);
    }
    return out;
  });
}

export async function listEips(core: CoreContext, scope: Scope, ids?: string[]): Promise<ElasticIp[]> {
  return core.store.read((tx) => tx.listEips(scope, ids));
}

/** The EIP, locked for the rest of the write and read again under the lock, so its binding is current. */
async function mustGetEip(tx: Repo, scope: Scope, ref: { id?: string; address?: string }): Promise<ElasticIp> {
  const notFound = () => fail('NotFound', { resource: 'eip', id: ref.id ?? ref.address ?? '' });
  const all = await tx.listEips(scope, ref.id ? [ref.id] : undefined);
  const found = all.find((e) => (ref.id ? e.id === ref.id : e.address === ref.address)) ?? notFound();
  await tx.lockEip(found.id);
  const [eip] = await tx.listEips(scope, [found.id]);
  return eip ?? notFound();
}

export async function deleteEip(core: CoreContext, scope: Scope, id: string): Promise<void> {
  await core.store.write(async (tx) => {
    const eip = await mustGetEip(tx, scope, { id });
    if (eip.eniId) fail('ResourceInUse', { resource: 'eip', id, reason: `it is associated with ${eip.eniId}` });
    await tx.deleteEip(id);
  });
}

export interface AssociateInput {
  eipId?: string;
  address?: string;
  /** The private IP to bind; the ENI's primary IP when absent (JD default, unconfirmed). */
  privateIp?: string;
}

/** Binds an EIP to an ENI's private IP, checking the zone rule against the instance it is on. */
export async function associateEip(core: CoreContext, scope: Scope, eniId: string, input: AssociateInput): Promise<void> {
  await core.store.write(async (tx) => {
    await tx.lock({ enis: [eniId] });
    await bind(tx, scope, await mustGetEni(tx, scope, eniId), input);
  });
}

/** The instance form (JD vm associateElasticIp): only the primary ENI's primary IP. */
export async function associateEipToInstance(core: CoreContext, scope: Scope, instanceId: string, input: AssociateInput): Promise<void> {
  await core.store.write(async (tx) => {
    await tx.lock({ instances: [instanceId] });
    const instance = await mustGetInstance(tx, scope, instanceId);
    const primary = (await tx.listEnis(scope, { instanceId: instance.id })).find((e) => e.primary);
    if (!primary) fail('NotFound', { resource: 'eni', id: `primary ENI of ${instance.id}` });
    // Like the ENI form: one binding change per ENI at a time (instance before ENI keeps the lock order).
    await tx.lock({ enis: [primary.id] });
    await bind(tx, scope, primary, { ...input, privateIp: undefined });
  });
}

async function bind(tx: Repo, scope: Scope, eni: Eni, input: AssociateInput): Promise<void> {
  const eip = await mustGetEip(tx, scope, { id: input.eipId, address: input.address });
  if (eip.eniId) fail('ResourceInUse', { resource: 'eip', id: eip.id, reason: `it is already associated with ${eip.eniId}` });
  const ip = input.privateIp ? eni.ips.find((i) => i.address === input.privateIp) : eni.ips.find((i) => i.primary);
  if (!ip) fail('IpNotOnEni', { ip: input.privateIp ?? '', eniId: eni.id });
  if ((await tx.eipsOfEni(eni.id)).some((e) => e.privateIp === ip.address)) {
    fail('ResourceInUse', { resource: 'ip', id: ip.address, reason: 'the address already has an elastic IP' });
  }
  const holder = eni.instanceId ?? eni.targetInstanceId;
  if (holder) requireEipZone([eip], await mustGetInstance(tx, scope, holder));
  await tx.updateEip({ ...eip, eniId: eni.id, privateIp: ip.address });
}

export async function disassociateEip(core: CoreContext, scope: Scope, eniId: string, ref: { eipId?: string; address?: string }): Promise<void> {
  await core.store.write(async (tx) => {
    const eni = await mustGetEni(tx, scope, eniId);
    const eip = await mustGetEip(tx, scope, { id: ref.eipId, address: ref.address });
    if (eip.eniId !== eni.id) fail('ResourceMismatch', { resource: 'eip', id: eip.id, expected: eni.id });
    await tx.updateEip({ ...eip, eniId: null, privateIp: null });
  });
}
