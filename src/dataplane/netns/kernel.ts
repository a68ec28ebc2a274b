/**
 * The host's network as `ip` and `nft` show and change it: reads in JSON, changes in batches (one
 * process per namespace touched), each failure with the command's own words.
 */
import { execFile } from 'node:child_process';

export class KernelError extends Error {}

export interface KernelLink {
  name: string;
  /** ifalias: the data plane writes the ENI id there. */
  alias: string | undefined;
  mac: string;
  up: boolean;
  /** linkinfo.info_kind: veth, bridge… (undefined for lo). */
  kind: string | undefined;
  /** The bridge a port is enslaved to. */
  master: string | undefined;
  /** IPv4 `address/prefix`. */
  addresses: string[];
}

/** How a command is run: the real one, or a recorder in tests. */
export type Runner = (file: string, args: readonly string[], input?: string) => Promise<string>;

export const execRunner: Runner = (file, args, input) =>
  new Promise((resolve, reject) => {
    const child = execFile(file, args, { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        const words = `${stderr}`.trim() || error.message;
        reject(new KernelError(`${file} ${args.join(' ')}: ${words}`));
      } else resolve(stdout);
    });
    // A tool that exits before reading all its input (its namespace vanished, its first line
    // failed) closes the pipe: the exit code reports that, the broken pipe must not crash the node.
    child.stdin?.on('error', () => {});
    if (input !== undefined) child.stdin?.end(input);
  });

export class Kernel {
  constructor(private readonly run: Runner = execRunner) {}

  /** Runs a tool's version command: fails when the tool is not there. */
  async tool(file: string, args: readonly string[]): Promise<void> {
    await this.run(file, args);
  }

  async namespaces(prefix: string): Promise<string[]> {
    const out = (await this.run('ip', ['-j', 'netns', 'list'])).trim();
    if (!out) return [];
    // `<prefix><kind>-<id>` exactly: a server on `enp-` leaves `enp-b-…` (another server's) and a user's `enp-test` alone.
    const ours = new RegExp(`^${prefix.replace(/[^a-z0-9]/g, (c) => `\\${c}`)}[a-z]+-[a-z0-9]+$`);
    return (JSON.parse(out) as Array<{ name: string }>).map((n) => n.name).filter((n) => ours.test(n));
  }

  async links(ns: string): Promise<KernelLink[]> {
    const out = (await this.run('ip', ['-n', ns, '-j', '-d', 'addr', 'show'])).trim();
    if (!out) return [];
    const raw = JSON.parse(out) as Array<{
      ifname: string;
      ifalias?: string;
      address?: string;
      flags?: string[];
      master?: string;
      linkinfo?: { info_kind?: string };
      addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
    }>;
    return raw.map((l) => ({
      name: l.ifname,
      alias: l.ifalias || undefined,
      mac: (l.address ?? '').toLowerCase(),
      up: (l.flags ?? []).includes('UP'),
      kind: l.linkinfo?.info_kind,
      master: l.master,
      addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
    }));
  }

  /** A namespace set up in full, or none: one half set up would never be put right. */
  async addNamespace(ns: string, sysctls: Record<string, string>): Promise<void> {
    await this.run('ip', ['netns', 'add', ns]);
    try {
      const settings = Object.entries(sysctls).map(([k, v]) => `${k}=${v}`);
      // -e: a key this kernel lacks (IPv6 switched off at boot) is no failure.
      if (settings.length) await this.run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-e', '-w', ...settings]);
      await this.batch(ns, ['link set lo up']);
    } catch (e) {
      await this.deleteNamespace(ns).catch(() => {});
      throw e;
    }
  }

  async deleteNamespace(ns: string): Promise<void> {
    await this.run('ip', ['netns', 'delete', ns]);
  }

  /** `ip -n NS -batch -`: stops at the first command that fails and says which. */
  async batch(ns: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await this.run('ip', ['-n', ns, '-batch', '-'], lines.join('\n') + '\n');
  }

  /** An `nft -f` script inside the namespace (one transaction: all of it or none). */
  async nft(ns: string, script: string): Promise<void> {
    await this.run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], script);
  }
}
