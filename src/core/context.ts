/** What every core operation is given: the store, time, randomness, the catalog and the limits. */
import type { Store } from './ports/repo.ts';
import type { Catalog } from './catalog.ts';
import type { Clock } from './clock.ts';
import type { IdSource } from './ids.ts';
import type { TaskKind } from './model.ts';

/** Account-level quotas. Tencent's real defaults where the docs give them; otherwise our choice. */
export interface Limits {
  /** VPCs per account per region (Tencent's default quota is 20). */
  vpcsPerRegion: number;
  /** Subnets per VPC (Tencent: 100). */
  subnetsPerVpc: number;
  /** ENIs per VPC; exceeding it is LimitExceeded.NetworkInterfaceLimitExceeded. Our choice: 1000. */
  enisPerVpc: number;
  /** Addresses given per call in PrivateIpAddresses (Tencent: 10). */
  ipsPerCall: number;
}

export const defaultLimits: Limits = {
  vpcsPerRegion: 20,
  subnetsPerVpc: 100,
  enisPerVpc: 1000,
  ipsPerCall: 10,
};

/** Decides when the task engine may complete an accepted operation (the simulated latency). */
export interface TaskTiming {
  dueAt(kind: TaskKind, now: number): number;
  /** In `polls` mode: how many describes of its resources a new task of this kind waits for. */
  polls?(kind: TaskKind): number | undefined;
  /** Whether any operation is in `polls` mode (describes then count; otherwise they cost nothing). */
  polling?(): boolean;
}

export interface CoreContext {
  store: Store;
  clock: Clock;
  ids: IdSource;
  catalog: Catalog;
  limits: Limits;
  timing: TaskTiming;
  /** Tells the task engine that new work was committed, so it need not wait for its next poll. */
  notify(): void;
}

/** Per-request facts an operation records: the id the vendor answers with, and an idempotency token. */
export interface RequestMeta {
  requestId: string;
  clientToken?: string | undefined;
  /** The dialect that took the request, recorded on its task. */
  dialect?: string;
}
