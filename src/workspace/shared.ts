/** Pieces the API and the pages share: export filters and summaries with access checks. */
import type { z } from 'zod';
import { knownVillageCodes, villageCodesOfKecamatan } from '../db/repositories/villages.js';
import { buildSummary, type SummaryData } from '../reports/summary.js';
import { assertVillage, canSeeVillage, villageFilter, type Actor } from './access.js';
import { notFound } from './errors.js';
import type * as S from './schemas.js';
import { dateRange, type Ctx } from './service.js';

export function exportFilter(actor: Actor, q: Pick<z.infer<typeof S.exportQuery>, 'flow' | 'village' | 'from' | 'to'>, timeZone: string): Record<string, unknown> {
  const scope = villageFilter(actor, 'villageCode', q.village);
  if (!scope) throw notFound('village');
  const filter: Record<string, unknown> = { ...scope, flowId: q.flow };
  const range = dateRange(q.from, q.to, timeZone);
  if (range) filter.submittedAt = range;
  return filter;
}

/** Village codes of a kecamatan the actor sees (404 when none). */
export async function kecamatanVillages(actor: Actor, kecamatanCode: string): Promise<string[]> {
  const codes = (await villageCodesOfKecamatan(kecamatanCode)).filter((c) => canSeeVillage(actor, c));
  if (codes.length === 0) throw notFound('kecamatan');
  return codes;
}

export async function summaryFor(ctx: Ctx, actor: Actor, scope: 'village' | 'kecamatan', code: string, lang: 'id' | 'en'): Promise<SummaryData> {
  let codes: string[];
  if (scope === 'village') {
    assertVillage(actor, code);
    if ((await knownVillageCodes([code])).length === 0) throw notFound('village');
    codes = [code];
  } else {
    codes = await kecamatanVillages(actor, code);
  }
  return buildSummary({ codes, flows: ctx.flows, i18n: ctx.i18n, lang, now: ctx.now(), timeZone: ctx.timeZone });
}
