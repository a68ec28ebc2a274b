// The fuzz runner (fast-check) and its budget. The kit around it: hand-signed requests of any shape for
// each dialect (correctly signed, so a case reaches validation and the core, or deliberately
// unsigned/garbled), a world of real resources whose ids are mixed into the parameters, per-dialect
// envelope checkers, a digest of the whole database (read directly, not through the API) to prove a
// rejected request changed nothing, a log watch (no error-level line, no stack trace), and the
// runner that ties them together case by case (wire.ts, sign.ts, check.ts, probe.ts, seed.ts,
// arbs.ts; this file).
//
// Budget: ENIPLANE_FUZZ_RUNS=N runs N cases per dialect and store (default: a bounded CI run of
// about 300); ENIPLANE_FUZZ_SEED fixes the seed (printed by every run); ENIPLANE_FUZZ_KEEP_GOING=1
// collects every finding instead of stopping at the first; ENIPLANE_FUZZ_SHRINK=1 lets fast-check
// shrink a failure. A long run: `ENIPLANE_FUZZ_RUNS=5000 node --test --import tsx test/fuzz/*.test.ts`.

import { createHash, randomInt } from 'node:crypto';
import { inspect } from 'node:util';
import type { TestContext } from 'node:test';
import fc from 'fast-check';
import { serverOn, type RunningServer } from '../../support/server.ts';
import { type StoreKind } from '../../support/stores.ts';
import { type Checked, checkerFor } from './check.ts';
import { diffSnapshots, LogWatch, openProbe, type Snapshot, type StateProbe } from './probe.ts';
import { HEAD_LIMIT, headBytes, healthy, parseHead, type RawAnswer, send, sendRaw, showWire, type WireIn, type WireOut } from './wire.ts';


// ================================================================================================
// Budget

const envRuns = Number(process.env.ENIPLANE_FUZZ_RUNS ?? '');

/** Cases per dialect and store: ENIPLANE_FUZZ_RUNS when set, else the bounded CI default. */
export function fuzzBudget(ciDefault: number): number {
  return Number.isInteger(envRuns) && envRuns > 0 ? envRuns : ciDefault;
}

export const LONG_RUN = Number.isInteger(envRuns) && envRuns > 0;
export const FUZZ_SEED: number = process.env.ENIPLANE_FUZZ_SEED ? Number(process.env.ENIPLANE_FUZZ_SEED) : randomInt(2 ** 31 - 1);
const SHRINK = process.env.ENIPLANE_FUZZ_SHRINK === '1';
/** Record violations and carry on (a long run that collects every finding); the test fails at the end. */
const KEEP_GOING = process.env.ENIPLANE_FUZZ_KEEP_GOING === '1';

// ================================================================================================
// A fuzz server: a fresh database of `kind`, tasks due at once, no rate limit (the fuzz is a burst).

export interface FuzzServer {
  server: RunningServer;
  kind: StoreKind;
  stop(): Promise<void>;
}

/** A fresh database of `kind`, tasks due at once, no rate limit (the fuzz is a burst). */
export async function startFuzzServer(kind: StoreKind): Promise<FuzzServer> {
  return { ...(await serverOn(kind, { latency: '0' })), kind };
}

// ================================================================================================
// The runner: one case = send, check the envelope, and if refused prove the state unchanged.

export interface CaseResult extends Checked {
  status: number;
  text: string;
}

export class FuzzRunner {
  private before: Snapshot | undefined;
  private dirty = true;
  readonly stats = { cases: 0, rejected: 0, accepted: 0, digests: 0, codes: new Map<string, number>(), actions: new Map<string, number>() };
  readonly logs: LogWatch;

  constructor(
    readonly server: RunningServer,
    readonly probe: StateProbe,
  ) {
    this.logs = new LogWatch(server);
  }

  get port(): number {
    return this.server.port;
  }

  /**
   * Sends one request and checks it. `check` classifies the answer; `show` describes the request
   * for a failure message. `times` > 1 sends the identical bytes again (a replay): every send is checked.
   */
  async run(label: string, wire: WireOut, check: (res: WireIn, method: string) => Checked, opts: { times?: number } = {}): Promise<CaseResult> {
    let last: CaseResult | undefined;
    for (let i = 0; i < (opts.times ?? 1); i++) last = await this.once(label, wire, check);
    return last!;
  }

  private async once(label: string, wire: WireOut, check: (res: WireIn, method: string) => Checked): Promise<CaseResult> {
    if (this.dirty || !this.before) {
      await this.probe.quiet();
      this.before = await this.probe.snapshot();
      this.stats.digests++;
      this.dirty = false;
    }
    let res: WireIn;
    try {
      res = await send(this.port, wire);
    } catch (e) {
      const alive = await healthy(this.port);
      // A head over the limit (see below) is answered 431 and the connection closed while the client
      // may still be writing (ECONNRESET/EPIPE), or with a body a HEAD does not expect (a parse error):
      // the head limit again, not a broken server.
      if (alive && headBytes(wire) > HEAD_LIMIT) res = { status: 431, headers: {}, text: '', json: undefined, isJson: false };
      else throw new Error(`${label}: no answer (${e instanceof Error ? e.message : String(e)}); server ${alive ? 'still healthy' : 'DOWN'}\n${showWire(wire)}\n${this.tail()}`);
    }
    // A request head (request line + headers) over the server's 64 KB limit cannot even be read:
    // Node answers a bare 431. The limit is twice the largest query any dialect documents (32 KB).
    const checked = res.status === 431 && headBytes(wire) > HEAD_LIMIT ? { violations: [], rejected: true, code: 'head-over-64KB' } : check(res, wire.method);
    const violations = [...checked.violations];
    if (checked.rejected) {
      const after = await this.probe.snapshot();
      this.stats.digests++;
      if (after.hash !== this.before.hash) {
        violations.push(`a refused request (${checked.code}) changed the state:\n${diffSnapshots(this.before, after)}`);
        this.before = after;
      }
    } else this.dirty = true;
    this.stats.cases++;
    if (checked.rejected) this.stats.rejected++;
    else this.stats.accepted++;
    this.stats.codes.set(checked.code, (this.stats.codes.get(checked.code) ?? 0) + 1);
    this.stats.actions.set(label, (this.stats.actions.get(label) ?? 0) + 1);
    if (violations.length) this.fail(`${label}: ${violations.join('\n')}\n${showWire(wire)}\n--- answer: HTTP ${res.status} ${res.text.slice(0, 1500)}`);
    return { ...checked, violations, status: res.status, text: res.text };
  }

  /**
   * Sends hand-framed bytes (see serialize). A request that is valid HTTP must be answered inside
   * the dialect's envelope (`check`); one that is not (bad framing, bytes HTTP forbids) is below the
   * dialects: Node's parser may answer it with a bare 4xx or close, but never a 5xx. Either way the
   * state must be unchanged unless `check` says the request was accepted.
   */
  async runRaw(label: string, bytes: Buffer, o: { validHttp: boolean | 'either'; method: string; target: string; halfClose?: boolean }): Promise<RawAnswer> {
    const check = checkerFor(o.target);
    if (this.dirty || !this.before) {
      await this.probe.quiet();
      this.before = await this.probe.snapshot();
      this.dirty = false;
    }
    const ans = await sendRaw(this.port, bytes, { halfClose: o.halfClose ?? false, timeoutMs: 5_000 });
    const violations: string[] = [];
    let rejected = true;
    let code = `raw-${ans.status ?? 'closed'}`;
    const c =
      ans.status === undefined
        ? undefined
        : check({ status: ans.status, headers: parseHead(ans.head), text: ans.body, json: ans.json, isJson: ans.json !== undefined }, o.method);
    const parserAnswer = ans.status === undefined || (ans.status >= 400 && ans.status < 500);
    if (o.validHttp === true || (o.validHttp === 'either' && c !== undefined && c.violations.length === 0)) {
      if (c === undefined) violations.push('no answer to a valid HTTP request');
      else {
        violations.push(...c.violations);
        rejected = c.rejected;
        code = c.code;
      }
    } else if (!parserAnswer) {
      violations.push(`malformed HTTP answered with ${ans.status} (expected the dialect's envelope, a 4xx from the HTTP parser, or a closed connection)`);
    }
    if (rejected) {
      const after = await this.probe.snapshot();
      this.stats.digests++;
      if (after.hash !== this.before.hash) {
        violations.push(`a refused request changed the state:\n${diffSnapshots(this.before, after)}`);
        this.before = after;
      }
    } else this.dirty = true;
    this.stats.cases++;
    if (rejected) this.stats.rejected++;
    else this.stats.accepted++;
    this.stats.codes.set(code, (this.stats.codes.get(code) ?? 0) + 1);
    if (violations.length) {
      const shown = bytes.length > 1500 ? `${bytes.subarray(0, 1500).toString('latin1')}… (${bytes.length} bytes)` : bytes.toString('latin1');
      this.fail(`${label}: ${violations.join('\n')}\n--- raw request ---\n${shown}\n--- answer ---\n${ans.head}\n\n${ans.body.slice(0, 1500)}`);
    }
    return ans;
  }

  /** The process is alive and healthy, and has logged no error or stack trace since the last look. */
  async checkpoint(where: string): Promise<void> {
    if (this.server.pid === undefined) throw new Error(`${where}: the server process is gone (${inspect(this.server.lastExit)})\n${this.tail()}`);
    if (!(await healthy(this.port))) throw new Error(`${where}: /healthz is not 200\n${this.tail()}`);
    const problems = this.logs.problems();
    if (problems.length) this.fail(`${where}: the server logged an error or a stack trace for client requests:\n${problems.slice(0, 5).join('\n')}`);
  }

  /** Findings kept by ENIPLANE_FUZZ_KEEP_GOING=1. */
  readonly findings: string[] = [];

  /** A failed expectation of a test (thrown at once, or kept under ENIPLANE_FUZZ_KEEP_GOING=1). */
  fail(message: string): void {
    if (!KEEP_GOING) throw new Error(message);
    if (this.findings.length < 200) this.findings.push(message);
  }

  /** Throws with every kept finding (no-op when there are none). */
  finish(): void {
    if (this.findings.length) throw new Error(`${this.findings.length} finding(s):\n\n${this.findings.map((f) => f.slice(0, 3000)).join('\n\n')}`);
  }

  /** Note that state may have changed outside run() (seeding, raw-socket cases). */
  invalidate(): void {
    this.dirty = true;
  }

  summary(): string {
    const codes = [...this.stats.codes].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([c, n]) => `${c}×${n}`).join(', ');
    return `${this.stats.cases} cases (${this.stats.rejected} refused, ${this.stats.accepted} accepted), ${this.stats.digests} state digests; codes: ${codes}`;
  }

  private tail(): string {
    return `--- server output (tail) ---\n${this.server.logs().slice(-4000)}`;
  }
}

/**
 * Runs `numRuns` cases of `arb` through `body`, reporting the seed and the failing case on failure.
 * No shrinking by default (each case talks to a live server whose state moves on); ENIPLANE_FUZZ_SHRINK=1 allows it.
 */
export async function fuzz<T>(name: string, arb: fc.Arbitrary<T>, numRuns: number, seed: number, body: (c: T) => Promise<void>): Promise<void> {
  if (numRuns <= 0) return;
  const details = await fc.check(fc.asyncProperty(arb, body), { numRuns, seed, endOnFailure: !SHRINK });
  if (details.failed) {
    const err = details.errorInstance;
    const msg = err instanceof Error ? err.message : inspect(err);
    throw new Error(`fuzz ${name} failed after ${details.numRuns} case(s) (stream seed ${details.seed}; rerun with ENIPLANE_FUZZ_SEED=${FUZZ_SEED}):\n${msg}`);
  }
}

/** A stable per-name seed derived from the run's seed, so each action's stream is reproducible on its own. */
export function seedFor(name: string): number {
  return (FUZZ_SEED ^ parseInt(createHash('sha256').update(name).digest('hex').slice(0, 7), 16)) >>> 0;
}


export interface FuzzRun<W> {
  world: W;
  port: number;
  runner: FuzzRunner;
}

/**
 * One fuzz test on a fresh server of `kind`: seed its world, run `body`, report the figures as test
 * diagnostics, fail on any finding, and stop the server whatever happened.
 */
export async function fuzzRun<W>(
  t: TestContext,
  kind: StoreKind,
  o: { dialect: string; plan: string; seed(server: RunningServer, probe: StateProbe): Promise<W> },
  body: (run: FuzzRun<W>) => Promise<void>,
): Promise<void> {
  const started = Date.now();
  const fz = await startFuzzServer(kind);
  const probe = await openProbe(fz.server);
  try {
    const world = await o.seed(fz.server, probe);
    const runner = new FuzzRunner(fz.server, probe);
    await runner.checkpoint('after seeding');
    await body({ world, port: fz.server.port, runner });
    t.diagnostic(`${o.dialect} on ${kind}: ${runner.summary()}`);
    t.diagnostic(`${o.plan}; seed ${FUZZ_SEED}${LONG_RUN ? ' (long run)' : ''}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
    runner.finish();
  } finally {
    await probe.close();
    await fz.stop();
  }
}
