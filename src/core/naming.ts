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
