/**
 * Incidents (/app/kejadian): the risk reports of one village and hazard within 48 hours as one
 * row; its page shows the reports and photos together, one review for all (each reporter is
 * told), merging another incident in and splitting a report out.
 */
import type express from 'express';
import { z } from 'zod';
import { REVIEW_STATUSES, type ReviewStatus } from '../vocabulary.js';
import { esc } from '../reports/charts.js';
import { authOf } from './auth.js';
import * as incidents from './incidents.js';
import { csrfField, fmtDate, pager, statusBadge, type PageKit } from './page-kit.js';
import * as S from './schemas.js';

const hazardLabel = (ctxT: (k: string) => string, hazard: string) => ctxT(`laporan-risiko:type.choices.${hazard}`);

export function mountIncidentPages(router: express.Router, kit: PageKit): void {
  const { ctx, page, T, langOf, wrap, actorOf } = kit;
  const tz = ctx.timeZone;
  const flowT = (lang: 'id' | 'en') => ctx.i18n.getFixedT(lang) as unknown as (k: string) => string;
  const severity = (lang: 'id' | 'en', s: string | null) => (s ? flowT(lang)(`laporan-risiko:severity.choices.${s}`).split(' (')[0]! : '-');

  router.get('/app/kejadian', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const { lang: _l, ...query } = req.query;
    const q = S.incidentsQuery.parse(query);
    const list = await incidents.listIncidents(ctx, actorOf(res), q);
    const rows = list.items.map((i) => `<tr><td><a href="/app/kejadian/${i.id}">${esc(hazardLabel(flowT(lang), i.hazard))}</a></td><td>${esc(i.villageName ?? i.villageCode)}</td>`
      + `<td>${esc(t('incident.counts', { reports: i.reports, reporters: i.reporters }))}</td><td>${esc(severity(lang, i.worstSeverity))}</td>`
      + `<td>${esc(fmtDate(i.firstAt, lang, tz, true))} - ${esc(fmtDate(i.lastAt, lang, tz, true))}</td><td>${statusBadge(i.status, t)}</td></tr>`).join('');
    page(req, res, { title: t('nav.incidents'), active: 'incidents' }, `<p class="muted">${esc(t('incident.intro'))}</p>`
      + `<table><thead><tr><th>${esc(t('report.what'))}</th><th>${esc(t('village.name'))}</th><th>${esc(t('incident.reports'))}</th><th>${esc(t('incident.worst'))}</th><th>${esc(t('incident.when'))}</th><th>${esc(t('report.status'))}</th></tr></thead>`
      + `<tbody>${rows || '<tr><td colspan="6">-</td></tr>'}</tbody></table>` + pager(q.page, q.limit, list.total, '/app/kejadian', t));
  }));

  router.get('/app/kejadian/:id', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const { id } = S.idParams.parse(req.params);
    const auth = authOf(res);
    const i = await incidents.getIncident(auth.actor, id);
    const others = (await incidents.listIncidents(ctx, auth.actor, { village: i.villageCode, page: 1, limit: 50 })).items.filter((o) => o.id !== i.id);
    const csrf = csrfField(auth);
    const reports = i.reportIds.map((r, n) => `<li><a href="/app/laporan/${r}">${esc(t('incident.report_n', { n: n + 1 }))}</a>`
      + (i.reportIds.length > 1 ? ` <form method="post" action="/app/kejadian/${i.id}/pisah" class="inline">${csrf}<input type="hidden" name="reportId" value="${r}"><button type="submit" class="link">${esc(t('incident.split'))}</button></form>` : '')
      + `</li>`).join('');
    const photos = i.media.map((m) => `<img src="/app/laporan/${m.reportId}/foto/${esc(m.questionId)}" width="320" height="240" alt="${esc(t('incident.photo'))}" loading="lazy" class="photo">`).join('');
    const review = `<form method="post" action="/app/kejadian/${i.id}/status" class="review">${csrf}`
      + `<fieldset><legend>${esc(t('incident.new_status', { count: i.reports }))}</legend>${REVIEW_STATUSES.map((s) => `<label class="radio"><input type="radio" name="status" value="${s}"${i.status === s ? ' checked' : ''}> ${esc(t(`status.${s}`))}</label>`).join('')}</fieldset>`
      + `<label>${esc(t('report.note'))}<textarea name="note" rows="3" maxlength="1000"></textarea></label><button type="submit" class="primary">${esc(t('report.save'))}</button></form>`;
    const merge = others.length
      ? `<form method="post" action="/app/kejadian/${i.id}/gabung" class="review">${csrf}<label>${esc(t('incident.merge'))} <select name="incidentId">${others.map((o) => `<option value="${o.id}">${esc(`${hazardLabel(flowT(lang), o.hazard)} · ${fmtDate(o.firstAt, lang, tz, true)} · ${t('incident.counts', { reports: o.reports, reporters: o.reporters })}`)}</option>`).join('')}</select></label> <button type="submit">${esc(t('incident.merge_button'))}</button></form>`
      : '';
    page(req, res, { title: `${hazardLabel(flowT(lang), i.hazard)} · ${i.villageName ?? i.villageCode}`, active: 'incidents' },
      `<p>${esc(t('incident.counts', { reports: i.reports, reporters: i.reporters }))} · ${esc(t('incident.worst'))}: ${esc(severity(lang, i.worstSeverity))} · ${esc(fmtDate(i.firstAt, lang, tz, true))} - ${esc(fmtDate(i.lastAt, lang, tz, true))} · ${statusBadge(i.status, t)}</p>`
      + `<section><h2>${esc(t('incident.reports'))}</h2><ol>${reports}</ol>${photos ? `<div class="photos">${photos}</div>` : ''}</section>`
      + `<section><h2>${esc(t('report.review'))}</h2>${review}</section>` + (merge ? `<section>${merge}</section>` : ''));
  }));

  router.post('/app/kejadian/:id/status', wrap(async (req, res) => {
    const { id } = S.idParams.parse(req.params);
    const body = z.object({ status: S.reviewStatus, note: z.string().max(1000).optional(), _csrf: z.string() }).strict().parse(req.body);
    await incidents.setIncidentStatus(ctx, actorOf(res), id, body.status as ReviewStatus, body.note);
    res.redirect(303, `/app/kejadian/${id}?saved=1`);
  }));

  router.post('/app/kejadian/:id/gabung', wrap(async (req, res) => {
    const { id } = S.idParams.parse(req.params);
    const body = z.object({ incidentId: z.string(), _csrf: z.string() }).strict().parse(req.body);
    await incidents.mergeIncident(ctx, actorOf(res), id, body.incidentId);
    res.redirect(303, `/app/kejadian/${id}`);
  }));

  router.post('/app/kejadian/:id/pisah', wrap(async (req, res) => {
    const { id } = S.idParams.parse(req.params);
    const body = z.object({ reportId: z.string(), _csrf: z.string() }).strict().parse(req.body);
    const created = await incidents.splitIncident(ctx, actorOf(res), id, body.reportId);
    res.redirect(303, `/app/kejadian/${created.id}`);
  }));
}

