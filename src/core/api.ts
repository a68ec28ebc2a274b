/**
 * The core as the dialects (and every other caller above core) see it: operations and queries over
 * one account's world, bound to the store, clock and ids they run on. No transaction handle and no
 * store: what a caller may do to the world is exactly what is listed here.
 */
import type { TransitionSetting } from './ports/repo.ts';
import type { CoreContext } from './context.ts';
import { keyAndAccount } from './ops/accounts.ts';
import {
  deleteSnapshot,
  exportWorld,
  importWorld,
  listSnapshots,
  listTasks,
  viewWorld,
  listCalls,
  historyOf,
  listTransitionModes,
  releaseTask,
  resetWorld,
  restoreSnapshot,
  saveSnapshot,
  setTransitionMode,
} from './ops/control.ts';
import { associateEip, associateEipToInstance, createEips, deleteEip, disassociateEip, listEips } from './ops/eips.ts';
import { assignIps, attachEni, createEni, deleteEni, describeIps, detachEni, eniLimits, listEnis, migrateEni, migrateIp, modifyEni, pageEnis, regroupEnis, setAutoDelete, unassignIps } from './ops/enis.ts';
import { changePower, listInstances, modifyInstances, runInstances } from './ops/instances.ts';
import { addressHolders, createSubnet, createSubnets, createVpc, deleteSubnet, deleteVpc, listRouteTables, listSubnets, listVpcs, modifySubnet, modifyVpc } from './ops/network.ts';
import {
  addSecurityGroupRules,
  createSecurityGroup,
  deleteSecurityGroup,
  getSecurityGroup,
  listSecurityGroups,
  modifySecurityGroup,
  removeSecurityGroupRules,
  replaceSecurityGroupRule,
  replaceSecurityGroupRules,
  securityGroupUse,
} from './ops/securityGroups.ts';
import { describedResources, getTask } from './ops/tasks.ts';
import { addFault, clearFaults, listFaults, removeFault, type FaultInput } from './ops/faults.ts';
import type { FaultBook } from './faults.ts';
import { EventFeed, type EventFilter } from './events.ts';
import type { ModeBook } from './modes.ts';
import { changeTags, listTags, taggedResources } from './ops/tags.ts';

/** `op` with its context filled in (a bound function: no rest/spread on every call). */
function bind<C, A extends unknown[], R>(ctx: C, op: (ctx: C, ...args: A) => R): (...args: A) => R {
  return op.bind(undefined, ctx) as unknown as (...args: A) => R;
}

export function coreApi(ctx: CoreContext) {
  return {
    /** Regions, zones, instance types and each provider's policy. */
    catalog: ctx.catalog,
    clock: ctx.clock,
    keyAndAccount: bind(ctx, keyAndAccount),
    createVpc: bind(ctx, createVpc),
    deleteVpc: bind(ctx, deleteVpc),
    listVpcs: bind(ctx, listVpcs),
    modifyVpc: bind(ctx, modifyVpc),
    listRouteTables: bind(ctx, listRouteTables),
    addressHolders: bind(ctx, addressHolders),
    createSubnet: bind(ctx, createSubnet),
    createSubnets: bind(ctx, createSubnets),
    deleteSubnet: bind(ctx, deleteSubnet),
    listSubnets: bind(ctx, listSubnets),
    modifySubnet: bind(ctx, modifySubnet),
    runInstances: bind(ctx, runInstances),
    changePower: bind(ctx, changePower),
    listInstances: bind(ctx, listInstances),
    modifyInstances: bind(ctx, modifyInstances),
    createEni: bind(ctx, createEni),
    deleteEni: bind(ctx, deleteEni),
    modifyEni: bind(ctx, modifyEni),
    attachEni: bind(ctx, attachEni),
    detachEni: bind(ctx, detachEni),
    migrateEni: bind(ctx, migrateEni),
    setAutoDelete: bind(ctx, setAutoDelete),
    assignIps: bind(ctx, assignIps),
    unassignIps: bind(ctx, unassignIps),
    migrateIp: bind(ctx, migrateIp),
    describeIps: bind(ctx, describeIps),
    regroupEnis: bind(ctx, regroupEnis),
    listEnis: bind(ctx, listEnis),
    pageEnis: bind(ctx, pageEnis),
    eniLimits: bind(ctx, eniLimits),
    createEips: bind(ctx, createEips),
    deleteEip: bind(ctx, deleteEip),
    associateEip: bind(ctx, associateEip),
    associateEipToInstance: bind(ctx, associateEipToInstance),
    disassociateEip: bind(ctx, disassociateEip),
    listEips: bind(ctx, listEips),
    createSecurityGroup: bind(ctx, createSecurityGroup),
    listSecurityGroups: bind(ctx, listSecurityGroups),
    getSecurityGroup: bind(ctx, getSecurityGroup),
    modifySecurityGroup: bind(ctx, modifySecurityGroup),
    deleteSecurityGroup: bind(ctx, deleteSecurityGroup),
    securityGroupUse: bind(ctx, securityGroupUse),
    addSecurityGroupRules: bind(ctx, addSecurityGroupRules),
    removeSecurityGroupRules: bind(ctx, removeSecurityGroupRules),
    replaceSecurityGroupRules: bind(ctx, replaceSecurityGroupRules),
    replaceSecurityGroupRule: bind(ctx, replaceSecurityGroupRule),
    getTask: bind(ctx, getTask),
    /** A describe answered with these ENIs or instances: `polls` tasks count it. */
    described: bind(ctx, describedResources),
    listTags: bind(ctx, listTags),
    taggedResources: bind(ctx, taggedResources),
    changeTags: bind(ctx, changeTags),
  };
}

export type Core = ReturnType<typeof coreApi>;

/**
 * What the control plane (admin API, CLI) may do to the whole world, below the cloud APIs. `book`:
 * this node's fault matcher, told at once when the faults change here.
 */
export function controlApi(ctx: Pick<CoreContext, 'store' | 'clock' | 'notify' | 'ids'>, books: { faults?: FaultBook; modes?: ModeBook; events?: EventFeed } = {}) {
  const { faults: book, modes } = books;
  const events = books.events ?? new EventFeed({ store: ctx.store });
  const changed = <T>(p: Promise<T>): Promise<T> => p.finally(() => book?.changed());
  const changedModes = <T>(p: Promise<T>): Promise<T> => p.then(async (v) => (await modes?.refresh(), v));
  return {
    addFault: (input: FaultInput) => changed(addFault(ctx, input)),
    listFaults: () => listFaults(ctx),
    removeFault: (id: string) => changed(removeFault(ctx, id)),
    clearFaults: () => changed(clearFaults(ctx)),
    reset: bind(ctx, resetWorld),
    exportWorld: bind(ctx, exportWorld),
    importWorld: bind(ctx, importWorld),
    saveSnapshot: bind(ctx, saveSnapshot),
    listSnapshots: bind(ctx, listSnapshots),
    restoreSnapshot: bind(ctx, restoreSnapshot),
    deleteSnapshot: bind(ctx, deleteSnapshot),
    setTransitionMode: (setting: TransitionSetting) => changedModes(setTransitionMode(ctx, setting)),
    listTransitionModes: bind(ctx, listTransitionModes),
    listTasks: bind(ctx, listTasks),
    viewWorld: bind(ctx, viewWorld),
    listCalls: bind(ctx, listCalls),
    historyOf: bind(ctx, historyOf),
    releaseTask: bind(ctx, releaseTask),
    /** The newest event's number: a follower that starts there sees only what happens next. */
    lastEventSeq: () => events.latest(),
    now: () => ctx.clock.now(),
    followEvents: (from: number, filter: EventFilter, signal: AbortSignal) => events.follow(from, filter, signal),
  };
}

export type Control = ReturnType<typeof controlApi>;
