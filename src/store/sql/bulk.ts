/** Bulk loading. SQL for the BulkRepo of core/ports/repo.ts. */
import type { Eni, Instance, Subnet, Vpc } from '../../core/model.ts';
import { eniToRow, instanceToRow, ipToRow, subnetToRow, vpcToRow } from '../rows.ts';
import type { BulkRepo } from '../../core/ports/repo.ts';
import { SqlBase } from './base.ts';

export class BulkSql extends SqlBase implements BulkRepo {
  /**
   * Inserts many resources with multi-row statements (bulk loads: benchmarks, imports). Rows are sent
   * in chunks that stay under both drivers' bound-parameter limits (SQLite 32766, PostgreSQL 65535).
   */
  async insertMany(r: { vpcs?: Vpc[]; subnets?: Subnet[]; instances?: Instance[]; enis?: Eni[] }): Promise<void> {
    await this.quietCapture(true);
    const chunked = async <T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>) => {
      for (let i = 0; i < rows.length; i += 500) await insert(rows.slice(i, i + 500));
    };
    await chunked((r.vpcs ?? []).map(vpcToRow), (c) => this.db.insertInto('vpcs').values(c).execute());
    await chunked((r.subnets ?? []).map(subnetToRow), (c) => this.db.insertInto('subnets').values(c).execute());
    await chunked((r.instances ?? []).map(instanceToRow), (c) => this.db.insertInto('instances').values(c).execute());
    await chunked((r.enis ?? []).map(eniToRow), (c) => this.db.insertInto('enis').values(c).execute());
    await chunked((r.enis ?? []).flatMap((e) => e.ips.map(ipToRow)), (c) => this.db.insertInto('private_ips').values(c).execute());
    await this.quietCapture(false);
    await this.worldEvent('imported', null);
  }
}
