/**
 * Kabar desa in the workspace: the preview of a village's next monthly news (both languages,
 * how many residents it will reach) and holding or releasing it before it goes.
 */
import { findNewsMonth, findNewsRecipients, setNewsHeld } from '../db/repositories/village-news.js';
import { kabarFor, newsMonth } from '../facilitator/kabar.js';
import { assertVillage, type Actor } from './access.js';
import { audit } from './audit.js';
import { notFound, WorkspaceError } from './errors.js';
import type { Ctx } from './service.js';

export interface KabarView {
  villageCode: string;
  /** The month this news goes out for ("2026-10"): this month until it is sent, then the next. */
  month: string;
  held: boolean;
  heldBy: string | null;
  sentAt: string | null;
  /** Residents it will reach now (registered, not "berhenti" nor "berhenti kabar"). */
  recipients: number;
  preview: { id: string; en: string };
}

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

async function upcomingMonth(code: string, now: Date, timeZone: string): Promise<string> {
  const month = newsMonth(now, timeZone);
  return (await findNewsMonth(code, month))?.sentAt ? nextMonth(month) : month;
}

export async function getKabar(ctx: Ctx, actor: Actor, code: string): Promise<KabarView> {
  assertVillage(actor, code);
  const deps = { i18n: ctx.i18n, timeZone: ctx.timeZone, now: ctx.now };
  const [id, en] = [await kabarFor(code, 'id', deps), await kabarFor(code, 'en', deps)];
  if (id === null || en === null) throw notFound('village');
  const month = await upcomingMonth(code, ctx.now(), ctx.timeZone);
  const [record, recipients] = [await findNewsMonth(code, month), await findNewsRecipients(code)];
  return {
    villageCode: code, month, held: !!record?.held, heldBy: record?.heldBy ?? null, sentAt: record?.sentAt ? record.sentAt.toISOString() : null,
    recipients: recipients.length, preview: { id, en },
  };
}

/** Holds (or releases) the village's next monthly news. */
export async function holdKabar(ctx: Ctx, actor: Actor, code: string, held: boolean): Promise<KabarView> {
  assertVillage(actor, code);
  const month = await upcomingMonth(code, ctx.now(), ctx.timeZone);
  if (!(await setNewsHeld(code, month, held, actor.name, ctx.now()))) {
    throw new WorkspaceError(409, 'already_sent', `The news of ${month} has already been sent.`);
  }
  await audit(actor, { action: held ? 'kabar.hold' : 'kabar.release', targetType: 'village', targetId: code, villageCode: code, details: { month } }, ctx.now());
  return getKabar(ctx, actor, code);
}
