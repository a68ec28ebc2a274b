/** Every JD Cloud operation eniplane serves, and the router from method and path to one of them. */
import type { JdActionDef } from '../action.ts';
import { vmOps } from './vm.ts';
import { securityGroupOps } from './securityGroup.ts';
import { vpcOps } from './vpc.ts';

/**
 * vm and vpc share operation names (associateElasticIp is on both), so the two maps are kept apart:
 * a merged object would let the vpc entry silently replace the vm one.
 */
const serviceOps: Array<[string, JdActionDef]> = [...Object.entries(vmOps), ...Object.entries(vpcOps), ...Object.entries(securityGroupOps)];

interface Route {
  op: string;
  def: JdActionDef;
  pattern: RegExp;
}

/** `/instances/{id}:attachNetworkInterface` → a pattern over the decoded path; a trailing `/` is optional. */
function compile(path: string): RegExp {
  const body = path
    .replace(/\/$/, '')
    .split(/(\{id\})/)
    .map((part) => (part === '{id}' ? '([^/:]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^/v1/regions/([^/]+)${body}/?$`);
}

const routes: Route[] = serviceOps.map(([op, def]) => ({ op, def, pattern: compile(def.path) }));

export interface Matched {
  op: string;
  def: JdActionDef;
  region: string;
  id: string;
}

/**
 * Matches the decoded path (`%3A` is `:`, spec §1.2). vm and vpc never share a method and path
 * here, except that a service named in the credential scope settles any doubt.
 */
export function route(method: string, decodedPath: string, service?: string): Matched | undefined {
  let found: Matched | undefined;
  for (const r of routes) {
    if (r.def.method !== method) continue;
    const m = r.pattern.exec(decodedPath);
    if (!m) continue;
    // The path is decoded once, by the caller: decoding the captures again would turn `%25zz` into a
    // URIError (a 500) and `%2525` into `%`.
    const matched = { op: r.op, def: r.def, region: m[1]!, id: m[2] ?? '' };
    if (!service || r.def.service === service) return matched;
    found ??= matched;
  }
  return found;
}

/** Whether any route has this path under another method (405-like answers are 404 in JD's gateway). */
export function knownPath(decodedPath: string): boolean {
  return routes.some((r) => r.pattern.test(decodedPath));
}
