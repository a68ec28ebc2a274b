/** The audit trail. SQL for the AuditRepo of core/ports/repo.ts. */
import type { AuditEntry } from '../../core/model.ts';
import type { AuditRepo } from '../../core/ports/repo.ts';
import { SqlBase } from './base.ts';

export class AuditSql extends SqlBase implements AuditRepo {
  async insertAudit(e: AuditEntry): Promise<void> {
    await this.insertRow('audit_log', {
      at: e.at,
      account_id: e.accountId,
      key_id: e.keyId,
      source: e.source,
      dialect: e.dialect,
      action: e.action,
      resource_ids: JSON.stringify(e.resourceIds),
      result_code: e.resultCode,
      http_status: e.httpStatus,
      request_id: e.requestId,
    });
  }

  async listAudit(q: { accountId?: string; since?: number; limit?: number }): Promise<AuditEntry[]> {
    let sel = this.db.selectFrom('audit_log').selectAll();
    if (q.accountId !== undefined) sel = sel.where('account_id', '=', q.accountId);
    if (q.since !== undefined) sel = sel.where('at', '>=', q.since);
    const rows = await sel.orderBy('seq').limit(q.limit ?? 10_000).execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: Number(r.at),
      accountId: r.account_id,
      keyId: r.key_id,
      source: r.source,
      dialect: r.dialect,
      action: r.action,
      resourceIds: JSON.parse(r.resource_ids) as string[],
      resultCode: r.result_code,
      httpStatus: Number(r.http_status),
      requestId: r.request_id,
    }));
  }
}
