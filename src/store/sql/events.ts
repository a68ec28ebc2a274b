/** The captured changes (see changeCapture.ts). SQL for the EventRepo of core/ports/repo.ts. */
import type { ChangeEvent } from '../../core/model.ts';
import type { EventRepo } from '../../core/ports/repo.ts';
import type { Selectable } from 'kysely';
import type { EventsTable } from '../schema.ts';
import { SqlBase } from './base.ts';

export class EventSql extends SqlBase implements EventRepo {
  async listEvents(afterSeq: number, limit: number): Promise<ChangeEvent[]> {
    const rows = await this.db.selectFrom('events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
    return rows.map(eventFromRow);
  }

  async eventsIn(seqs: readonly number[]): Promise<ChangeEvent[]> {
    const out: ChangeEvent[] = [];
    for (let i = 0; i < seqs.length; i += 500) {
      const rows = await this.db.selectFrom('events').selectAll().where('seq', 'in', seqs.slice(i, i + 500)).orderBy('seq').execute();
      out.push(...rows.map(eventFromRow));
    }
    return out;
  }

  async eventsOf(id: string, limit: number): Promise<ChangeEvent[]> {
    const rows = await this.db.selectFrom('events').selectAll().where('resource_id', '=', id).orderBy('seq', 'desc').limit(limit).execute();
    return rows.map(eventFromRow).reverse();
  }

  async lastEventSeq(): Promise<number> {
    const r = await this.db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    return Number(r?.seq ?? 0);
  }

  async pruneEvents(keep: number): Promise<number> {
    const last = await this.lastEventSeq();
    if (last <= keep) return 0;
    const r = await this.db.deleteFrom('events').where('seq', '<=', last - keep).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function eventFromRow(r: Selectable<EventsTable>): ChangeEvent {
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    accountId: r.account_id,
    region: r.region,
    kind: r.kind as ChangeEvent['kind'],
    id: r.resource_id,
    change: r.change as ChangeEvent['change'],
    before: r.before === null ? null : (JSON.parse(r.before) as Record<string, unknown>),
    after: r.after === null ? null : (JSON.parse(r.after) as Record<string, unknown>),
  };
}
