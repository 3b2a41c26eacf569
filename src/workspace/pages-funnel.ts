/**
 * Where people drop out (/app/alur): per flow, for a date range, village and channel, how many
 * started, reached each question, finished, and where the unfinished stopped. A bar per row, so
 * a question that loses people shows on a phone screen.
 */
import type express from 'express';
import { esc } from '../reports/charts.js';
import { flowFunnel } from './funnel.js';
import type { PageKit, T } from './page-kit.js';
import * as S from './schemas.js';
import * as svc from './service.js';

const CHANNELS = ['telegram', 'whatsapp', 'web'] as const;

function bar(percent: number): string {
  // An SVG, not a styled span: the workspace's CSP allows no inline style.
  const w = Math.min(100, Math.max(0, percent));
  return `<svg class="bar" width="100" height="10" viewBox="0 0 100 10" role="img" aria-label="${percent}%"><rect width="100" height="10" fill="#e5e7eb"/><rect width="${w}" height="10" fill="#2563eb"/></svg>`;
}

function rows(items: { label: string; count: number; percent: number }[]): string {
  return items.map((r) => `<tr><th scope="row">${esc(r.label)}</th><td class="num">${r.count}</td><td class="num">${r.percent}%</td><td>${bar(r.percent)}</td></tr>`).join('');
}

function table(t: T, first: string, body: string): string {
  return `<table class="funnel"><thead><tr><th>${esc(first)}</th><th>${esc(t('funnel.count'))}</th><th>%</th><th></th></tr></thead><tbody>${body || '<tr><td colspan="4">-</td></tr>'}</tbody></table>`;
}

export function mountFunnelPages(router: express.Router, kit: PageKit): void {
  const { ctx, page, T, langOf, wrap, actorOf } = kit;

  router.get('/app/alur', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const actor = actorOf(res);
    const flows = [...ctx.flows.keys()].filter((id) => !['jadwal', 'siaran', 'isi-untuk-warga'].includes(id)).sort();
    const { flow: askedFlow, ...rest } = req.query;
    const q = S.funnelQuery.parse(Object.fromEntries(Object.entries({ ...rest, lang: undefined }).filter(([, v]) => v !== '' && v !== undefined)));
    const flowId = S.flowId.optional().parse(askedFlow || undefined) ?? (flows.includes('laporan-risiko') ? 'laporan-risiko' : flows[0]!);
    const villages = await svc.listVillages(actor, {});
    const f = await flowFunnel(ctx, actor, flowId, { ...q, lang });
    const select = (name: string, options: [string, string][], current: string | undefined, all: boolean) =>
      `<label>${esc(t(`funnel.${name}`))} <select name="${name}">${all ? `<option value="">${esc(t('common.all'))}</option>` : ''}${options.map(([v, l]) => `<option value="${esc(v)}"${v === current ? ' selected' : ''}>${esc(l)}</option>`).join('')}</select></label>`;
    const filters = `<form method="get" class="filters">`
      + select('flow', flows.map((id) => [id, t(`flow.${id}`, { defaultValue: id })]), flowId, false)
      + select('village', villages.map((v) => [v.code, v.name]), q.village, true)
      + select('channel', CHANNELS.map((c) => [c, t(`funnel.channels.${c}`)]), q.channel, true)
      + `<label>${esc(t('funnel.from'))} <input type="date" name="from" value="${esc(q.from ?? '')}"></label><label>${esc(t('funnel.to'))} <input type="date" name="to" value="${esc(q.to ?? '')}"></label>`
      + ` <button type="submit">${esc(t('common.filter'))}</button></form>`;
    const summary = `<p class="totals"><strong>${esc(t('funnel.started', { count: f.started }))}</strong> · ${esc(t('funnel.finished', { count: f.finished.count, percent: f.finished.percent }))} · ${esc(t('funnel.running', { count: f.running.count }))}</p>`;
    const byVillage = f.byVillage.map((v) => ({ label: `${v.name ?? '-'} (${v.started})`, ...v.finished }));
    const byChannel = f.byChannel.map((c) => ({ label: `${t(`funnel.channels.${c.channel}`, { defaultValue: c.channel })} (${c.started})`, ...c.finished }));
    page(req, res, { title: t('funnel.title'), active: 'funnel' }, `<p class="muted">${esc(t('funnel.intro'))}</p>${filters}${summary}`
      + `<section><h2>${esc(t('funnel.reached'))}</h2>${table(t, t('funnel.question'), rows(f.questions))}</section>`
      + `<section><h2>${esc(t('funnel.stopped'))}</h2>${table(t, t('funnel.question'), rows(f.stoppedAt))}</section>`
      + `<section><h2>${esc(t('funnel.by_village'))}</h2>${table(t, t('village.name'), rows(byVillage))}</section>`
      + `<section><h2>${esc(t('funnel.by_channel'))}</h2>${table(t, t('funnel.channel'), rows(byChannel))}</section>`);
  }));
}
