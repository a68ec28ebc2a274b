/** New resource ids and MACs in the form of the scope's provider (`eni-…` vs `port-…`). */
import type { ProviderPolicy } from './catalog.ts';
import type { CoreContext } from './context.ts';
import type { Provider } from './model.ts';

export function policyOf(core: Pick<CoreContext, 'catalog'>, provider: Provider): ProviderPolicy {
  return core.catalog.providers[provider].policy;
}

export function newId(core: Pick<CoreContext, 'catalog' | 'ids'>, provider: Provider, kind: keyof ProviderPolicy['prefixes']): string {
  const policy = policyOf(core, provider);
  return core.ids.id(policy.prefixes[kind], policy.idLength);
}

/** Matches an id of any kind of any provider (Tencent `eni-1a2b3c4d`, JD Cloud `port-1a2b3c4d5e`), globally. */
export function resourceIdPattern(catalog: CoreContext['catalog']): RegExp {
  const forms = Object.values(catalog.providers).map(({ policy }) => {
    const prefixes = [...new Set(Object.values(policy.prefixes))].sort().join('|');
    return `(?:${prefixes})-[a-z0-9]{${policy.idLength}}`;
  });
  return new RegExp(`\\b(?:${forms.join('|')})\\b`, 'g');
}
