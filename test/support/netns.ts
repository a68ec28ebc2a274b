// The host side of the netns data plane tests: what the kernel holds in the namespaces a test's
// server made (read with `ip` and `nft`, not through eniplane's own code), and traffic between them.
// Only namespaces with the test's own prefix are read or touched.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface HostLink {
  name: string;
  /** The kernel's ifindex: the same while the link is not made again. */
  index: number;
  alias: string | undefined;
  mac: string;
  up: boolean;
  addresses: string[];
}

/** A reason to skip where the data plane cannot run; on CI (root, tools installed by .ci/run) a failure instead. */
export function skipWithoutNetns(): string | false {
  const missing = [
    process.platform !== 'linux' && 'Linux',
    process.getuid?.() !== 0 && 'root',
    ...['ip', 'nft', 'ping', 'sysctl'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0),
  ].filter(Boolean);
  if (missing.length === 0) return false;
  const why = `the netns data plane needs ${missing.join(', ')}`;
  if (process.env.CI) throw new Error(`CI: ${why} (.ci/run installs iproute2, nftables, iputils-ping and procps)`);
  return `${why}: the data-plane tests are skipped`;
}

/** A prefix no other test or server uses. */
export function testPrefix(): string {
  return `enpt${randomBytes(2).toString('hex')}-`;
}

export function namespaces(prefix: string): string[] {
  const out = spawnSync('ip', ['-j', 'netns', 'list'], { encoding: 'utf8' }).stdout.trim();
  return out ? (JSON.parse(out) as Array<{ name: string }>).map((n) => n.name).filter((n) => n.startsWith(prefix)) : [];
}

/** The links of a namespace that must exist (a missing one throws: "no link" must not pass by accident). */
export function links(ns: string): HostLink[] {
  const r = spawnSync('ip', ['-n', ns, '-j', '-d', 'addr', 'show'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -n ${ns} addr show: ${r.stderr}`);
  return (JSON.parse(r.stdout) as Array<{ ifindex: number; ifname: string; ifalias?: string; address: string; flags: string[]; addr_info: Array<{ family: string; local: string; prefixlen: number }> }>)
    .filter((l) => l.ifname !== 'lo')
    .map((l) => ({
      name: l.ifname,
      index: l.ifindex,
      alias: l.ifalias,
      mac: l.address.toLowerCase(),
      up: l.flags.includes('UP'),
      addresses: l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
    }));
}

/** Every namespace of the prefix whose links have this MAC. */
export function holdersOf(prefix: string, mac: string): string[] {
  return namespaces(prefix).filter((ns) => links(ns).some((l) => l.mac === mac.toLowerCase()));
}

function mustExist(ns: string): void {
  if (!namespaces(ns).includes(ns)) throw new Error(`no namespace ${ns}: a failed ping or connection from it would prove nothing`);
}

/** One echo request with a one-second wait, from a namespace that must exist. */
export function pings(ns: string, address: string): boolean {
  mustExist(ns);
  return spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', address]).status === 0;
}

/** A TCP server inside the namespace that answers every connection with `reply`; resolves once it listens. */
export async function listen(ns: string, port: number, reply: string): Promise<{ close(): void }> {
  // A client that gives up (a blocked port's retransmitted SYN let through late) resets its socket: not the server's end.
  const code = `require('net').createServer((s) => { s.on('error', () => {}); s.end(${JSON.stringify(reply)}); }).listen(${port}, () => console.log('ready'))`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => String(d).includes('ready') && resolve());
    child.once('exit', (c) => reject(new Error(`listener in ${ns} exited (${c}): ${err}`)));
  });
  return { close: () => child.kill('SIGKILL') };
}

/** What a TCP server at address:port says to a client in `ns`, or undefined when nothing answers within a second. */
export function ask(ns: string, address: string, port: number): string | undefined {
  mustExist(ns);
  const code = `const s = require('net').connect(${port}, ${JSON.stringify(address)}); let d = ''; s.on('data', (x) => (d += x)); s.on('end', () => { console.log(d); process.exit(0); }); s.on('error', () => process.exit(3)); setTimeout(() => process.exit(4), 1000);`;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function removeNamespaces(prefix: string): void {
  for (const ns of namespaces(prefix)) spawnSync('ip', ['netns', 'delete', ns]);
}
