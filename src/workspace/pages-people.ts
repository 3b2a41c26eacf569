/**
 * Pages for people who need a facilitator: help requests with their status (/app/bantuan),
 * and registrations with a village not in the list (/app/desa-lain), where an admin sets it.
 */
import type express from 'express';
import { z } from 'zod';
import { HELP_STATUSES } from '../vocabulary.js';
import { esc } from '../reports/charts.js';
import { authOf } from './auth.js';
import { WorkspaceError } from './errors.js';
import { csrfField, fmtDate, pager, type PageKit, type T } from './page-kit.js';
import * as people from './people.js';
import * as S from './schemas.js';
import * as svc from './service.js';

const HELP_CLASS: Record<string, string> = { baru: 'new', dihubungi: 'act', selesai: 'done' };

function helpBadge(status: string, t: T): string {
  return `<span class="badge ${HELP_CLASS[status] ?? ''}">${esc(t(`help.statuses.${status}`))}</span>`;
}

/** A page's query without the language switch (the layout's link adds ?lang=). */
function withoutLang(query: Record<string, unknown>): Record<string, unknown> {
  const { lang: _lang, ...rest } = query;
  return rest;
}

export function mountPeoplePages(router: express.Router, kit: PageKit): void {
  const { ctx, page, T, langOf, wrap, actorOf } = kit;
  const tz = ctx.timeZone;

  router.get('/app/bantuan', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const auth = authOf(res);
    const q = S.helpQuery.parse(withoutLang(req.query));
    const [list, fromReports, villages] = await Promise.all([
      people.listHelpRequests(ctx, auth.actor, q, lang),
      svc.listReportHelp(ctx, auth.actor, { village: q.village, page: 1, limit: 20 }),
      svc.listVillages(auth.actor, {}),
    ]);
    const filter = `<form method="get" class="filters"><label>${esc(t('help.status'))} <select name="status"><option value="">${esc(t('common.all'))}</option>`
      + HELP_STATUSES.map((s) => `<option value="${s}"${q.status === s ? ' selected' : ''}>${esc(t(`help.statuses.${s}`))}</option>`).join('') + `</select></label>`
      + ` <label>${esc(t('village.name'))} <select name="village"><option value="">${esc(t('common.all'))}</option>${villages.map((v) => `<option value="${v.code}"${q.village === v.code ? ' selected' : ''}>${esc(v.name)}</option>`).join('')}</select></label>`
      + ` <button type="submit">${esc(t('common.filter'))}</button></form>`;
    const items = list.items.map((h) => {
      const who = h.member ? esc(h.member.name ?? '-') : `<span class="muted">${esc(t('help.member_deleted'))}</span>`;
      const where = h.context ? `${esc(h.context.flow)}${h.context.question ? `: ${esc(h.context.question)}` : ''}` : `<span class="muted">${esc(t('help.outside_flow'))}</span>`;
      const history = h.notes.length
        ? `<ul class="notes">${h.notes.slice().reverse().map((n) => `<li>${esc(fmtDate(n.at, lang, tz, true))} · ${esc(n.byName ?? '-')} · ${helpBadge(n.status, t)}${n.text ? `<br>${esc(n.text)}` : ''}</li>`).join('')}</ul>`
        : '';
      return `<section class="help" id="${esc(h.id)}"><p><strong>${who}</strong> · ${esc(h.villageName ?? h.villageCode ?? '-')} · ${esc(fmtDate(h.requestedAt, lang, tz, true))} ${helpBadge(h.status, t)}</p>`
        + `<p class="muted">${esc(t('help.context'))}: ${where}</p>`
        + `<form method="post" action="/app/bantuan/status" class="review">${csrfField(auth)}<input type="hidden" name="id" value="${esc(h.id)}">`
        + `<fieldset><legend>${esc(t('help.status'))}</legend>${HELP_STATUSES.map((s) => `<label class="radio"><input type="radio" name="status" value="${s}"${h.status === s ? ' checked' : ''}> ${esc(t(`help.statuses.${s}`))}</label>`).join('')}</fieldset>`
        + `<label>${esc(t('help.note'))}<textarea name="note" rows="2" maxlength="1000"></textarea></label><button type="submit" class="primary">${esc(t('help.save'))}</button></form>${history}</section>`;
    }).join('');
    const base = `/app/bantuan?${new URLSearchParams(Object.entries({ status: q.status ?? '', village: q.village ?? '' }).filter(([, v]) => v)).toString()}`;
    const reportRows = fromReports.items.map((r) => {
      const help = r.labelled.answers.find((a) => a.id === 'help')?.value ?? '';
      return `<tr><td><a href="/app/laporan/${r.id}">${esc(fmtDate(r.submittedAt, lang, tz))}</a></td><td>${esc(r.villageName ?? '')}</td><td>${esc(help)}</td></tr>`;
    }).join('');
    const body = `<p>${esc(t('help.intro'))}</p>${filter}${items || `<p>${esc(t('help.none'))}</p>`}${pager(q.page, q.limit, list.total, base, t)}`
      + `<section><h2>${esc(t('help.from_reports'))} <small>(${fromReports.total})</small></h2><p class="muted">${esc(t('help.from_reports_intro'))}</p>`
      + `<table><thead><tr><th>${esc(t('report.date'))}</th><th>${esc(t('village.name'))}</th><th>${esc(String(ctx.i18n.getFixedT(lang, svc.RISK_FLOW)('help.label')))}</th></tr></thead><tbody>${reportRows || '<tr><td colspan="3">-</td></tr>'}</tbody></table></section>`;
    page(req, res, { title: t('nav.help'), active: 'help' }, body);
  }));

  router.post('/app/bantuan/status', wrap(async (req, res) => {
    const b = z.strictObject({ id: S.helpRequestParams.shape.id, status: S.helpStatus, note: z.string().max(1000).optional(), _csrf: z.string() }).parse(req.body);
    await people.setHelpStatus(ctx, actorOf(res), b.id, b.status, b.note);
    res.redirect(303, `/app/bantuan#${encodeURIComponent(b.id)}`);
  }));

  router.get('/app/desa-lain', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const auth = authOf(res);
    const { sent: _sent, ...query } = withoutLang(req.query);
    const q = S.unmatchedQuery.parse(query);
    const list = await people.listUnmatched(auth.actor, q);
    const isAdmin = auth.actor.role === 'admin';
    const villages = isAdmin ? await svc.listVillages(auth.actor, {}) : [];
    const byKec = new Map<string, typeof villages>();
    for (const v of villages) byKec.set(v.kecamatan, [...(byKec.get(v.kecamatan) ?? []), v]);
    const options = (kecamatan: string | null) => [...byKec.entries()]
      .sort(([a], [b]) => Number(b === kecamatan) - Number(a === kecamatan))
      .map(([k, vs]) => `<optgroup label="${esc(k)}">${vs.map((v) => `<option value="${v.code}">${esc(v.name)}</option>`).join('')}</optgroup>`).join('');
    const csrf = csrfField(auth);
    const cards = list.items.map((m) => `<article class="card" id="m-${m.id}"><h3>${esc(m.name ?? '-')}</h3>`
      + `<p>${esc(t('unmatched.typed'))}: <strong>${esc(m.villageOther)}</strong></p>`
      + `<p class="muted">${esc(t('unmatched.kecamatan'))}: ${esc(m.kecamatan ?? t('unmatched.no_kecamatan'))} · ${esc(t('unmatched.registered'))} ${esc(fmtDate(m.registeredAt, lang, tz))} · ${esc(t(`export.channels.${m.channel}`, { defaultValue: m.channel }))}</p>`
      + `<form method="post" action="/app/desa-lain/${m.id}/pesan" class="stack">${csrf}<label>${esc(t('unmatched.message'))}<textarea name="text" rows="2" maxlength="1000" required></textarea></label>`
      + `<button type="submit">${esc(t('unmatched.send'))}</button></form>`
      + (isAdmin
        ? `<form method="post" action="/app/desa-lain/${m.id}" class="filters">${csrf}<label>${esc(t('unmatched.village'))} <select name="villageCode" required><option value=""></option>${options(m.kecamatan)}</select></label> <button type="submit" class="primary">${esc(t('unmatched.assign'))}</button></form>`
        : '')
      + `</article>`).join('');
    const notice = req.query.sent === '1' ? `<p class="notice ok" role="status">${esc(t('unmatched.sent'))}</p>` : '';
    const body = notice + `<p>${esc(t('unmatched.intro'))}</p>${isAdmin ? '' : `<p class="muted">${esc(t('unmatched.admin_only'))}</p>`}`
      + (cards ? `<section>${cards}</section>` : `<p>${esc(t('unmatched.none'))}</p>`)
      + pager(q.page, q.limit, list.total, '/app/desa-lain', t);
    page(req, res, { title: t('nav.unmatched'), active: 'unmatched' }, body);
  }));

  router.post('/app/desa-lain/:id/pesan', wrap(async (req, res) => {
    const { id } = S.idParams.parse(req.params);
    const b = z.strictObject({ text: z.string().trim().min(1).max(1000), _csrf: z.string() }).safeParse(req.body);
    if (!b.success) throw new WorkspaceError(400, 'invalid_message', T(req)('unmatched.message_invalid'));
    await people.messageUnmatched(ctx, actorOf(res), id, b.data.text);
    res.redirect(303, `/app/desa-lain?sent=1#m-${id}`);
  }));

  router.post('/app/desa-lain/:id', wrap(async (req, res) => {
    const { id } = S.idParams.parse(req.params);
    const b = z.strictObject({ villageCode: S.villageCode, _csrf: z.string() }).parse(req.body);
    await people.setMemberVillage(ctx, actorOf(res), id, b.villageCode);
    res.redirect(303, '/app/desa-lain');
  }));
}
