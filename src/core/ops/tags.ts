/**
 * Tags as one concept over every taggable resource. Each resource keeps its tags on its own row, so
 * a tag written here is the tag its Describe shows, and a tag given at create is the one read here.
 */
import type { CoreContext } from '../context.ts';
import { fail } from '../errors.ts';
import type { Eni, Instance, Scope, SecurityGroup, Subnet, Tag, TagChange, Tagged, TagRef, TaggableKind, Vpc } from '../model.ts';
import { policyOf } from '../naming.ts';
import type { Repo } from '../ports/repo.ts';
import { requireTags } from '../rules.ts';

type Row = { id: string; tags: Tag[] };

/**
 * How to read and rewrite the tags of each kind of resource. `put` is handed back the very row `get`
 * read, with new tags: the casts only restore the type the union of kinds loses.
 */
const KINDS: { [K in TaggableKind]: { get(tx: Repo, scope: Scope, id: string): Promise<Row | undefined>; put(tx: Repo, r: Row): Promise<void>; list(tx: Repo, scope: Scope): Promise<Row[]> } } = {
  vpc: { get: (tx, s, id) => tx.getVpc(s, id), put: (tx, r) => tx.updateVpc(r as Vpc), list: (tx, s) => tx.listVpcs(s) },
  subnet: { get: (tx, s, id) => tx.getSubnet(s, id), put: (tx, r) => tx.updateSubnet(r as Subnet), list: (tx, s) => tx.listSubnets(s) },
  eni: { get: (tx, s, id) => tx.getEni(s, id), put: (tx, r) => tx.updateEni(r as Eni), list: (tx, s) => tx.listEnis(s) },
  securityGroup: {
    get: (tx, s, id) => tx.getSecurityGroup(s, id),
    put: (tx, r) => tx.updateSecurityGroup(r as SecurityGroup),
    list: (tx, s) => tx.listSecurityGroups(s),
  },
  instance: { get: (tx, s, id) => tx.getInstance(s, id), put: (tx, r) => tx.updateInstance(r as Instance), list: (tx, s) => tx.listInstances(s) },
};

/** The tags of each resource named that exists in the scope; the others are left out. */
export async function listTags(core: CoreContext, scope: Scope, refs: readonly TagRef[]): Promise<Tagged[]> {
  return core.store.read(async (tx) => {
    const out: Tagged[] = [];
    for (const ref of refs) {
      const r = await KINDS[ref.kind].get(tx, scope, ref.id);
      if (r) out.push({ ref, tags: r.tags });
    }
    return out;
  });
}

/** Every resource of the kinds given (all kinds by default) with its tags, in the scope. */
export async function taggedResources(core: CoreContext, scope: Scope, kinds: readonly TaggableKind[] = Object.keys(KINDS) as TaggableKind[]): Promise<Tagged[]> {
  return core.store.read(async (tx) => {
    const out: Tagged[] = [];
    for (const kind of kinds) for (const r of await KINDS[kind].list(tx, scope)) out.push({ ref: { kind, id: r.id }, tags: r.tags });
    return out;
  });
}

/** Applies every change in one transaction: each resource must exist and end within the tag rules. */
export async function changeTags(core: CoreContext, scope: Scope, changes: readonly TagChange[]): Promise<void> {
  const rule = policyOf(core, scope.provider).tags;
  // What is set is checked as given (a key twice is refused, not merged); what is kept was checked when it was set.
  for (const c of changes) requireTags(rule, c.set ?? []);
  await core.store.write(async (tx) => {
    // Every row changed is held before any is read, in the store's one order (instances, ENIs,
    // then groups, subnets, VPCs, each by id): a concurrent edit of the same row waits instead of
    // being overwritten with what this request read.
    const ids = (kind: TaggableKind) => [...new Set(changes.filter((c) => c.ref.kind === kind).map((c) => c.ref.id))].sort();
    await tx.lock({ instances: ids('instance'), enis: ids('eni') });
    for (const id of ids('securityGroup')) await tx.lockSecurityGroup(id);
    for (const id of ids('subnet')) await tx.lockSubnet(id);
    for (const id of ids('vpc')) await tx.lockVpc(id);
    for (const c of changes) {
      const r = (await KINDS[c.ref.kind].get(tx, scope, c.ref.id)) ?? fail('NotFound', { resource: c.ref.kind, id: c.ref.id });
      const tags = r.tags.filter((t) => !(c.remove ?? []).includes(t.key)).map((t) => ({ ...t }));
      for (const s of c.set ?? []) {
        const at = tags.findIndex((t) => t.key === s.key);
        if (at >= 0) tags[at] = { key: s.key, value: s.value };
        else tags.push({ key: s.key, value: s.value });
      }
      if (tags.length > rule.perResource) fail('InvalidValue', { field: 'tags', reason: 'limitExceeded', limit: rule.perResource });
      await KINDS[c.ref.kind].put(tx, { ...r, tags });
    }
  });
}
