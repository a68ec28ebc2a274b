/** The audit trail. SQL for the AuditRepo of core/ports/repo.ts. */
import type { AuditEntry } from '../../core/model.ts';
import type { AuditQuery, AuditRepo } from '../../core/ports/repo.ts';
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

  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    let sel = this.db.selectFrom('audit_log').selectAll();
    if (q.accountId !== undefined) sel = sel.where('account_id', '=', q.accountId);
    if (q.since !== undefined) sel = sel.where('at', '>=', q.since);
    if (q.dialect !== undefined) sel = sel.where('dialect', '=', q.dialect);
    if (q.action !== undefined) sel = sel.where('action', '=', q.action);
    if (q.code !== undefined) sel = sel.where('result_code', '=', q.code);
    // Ids are [a-z0-9-] and stored as a JSON list: the quoted id matches exactly that id.
    if (q.resourceId !== undefined) sel = sel.where('resource_ids', 'like', `%${JSON.stringify(q.resourceId).replace(/[%_\\]/g, '')}%`);
    const rows = await sel.orderBy('seq', q.newest ? 'desc' : 'asc').limit(q.limit ?? 10_000).execute();
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
