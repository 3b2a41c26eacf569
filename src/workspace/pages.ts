/**
 * The workspace pages: server-rendered HTML, Indonesian first with an English switch, light
 * for a weak connection (one small stylesheet; Leaflet only on the summary page; charts as
 * inline SVG; no external requests). Forms carry the session's CSRF token.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type express from 'express';
import type { Request, Response } from 'express';
import type { i18n as I18n } from 'i18next';
import mongoose from 'mongoose';
import { mediaBucket } from '../media/store.js';
import multer from 'multer';
import { sharp } from '../heavy-modules.js';
import { z } from 'zod';
import { findReportMedia } from '../db/repositories/submissions.js';
import { ACTIVITY_STATUSES, REVIEW_STATUSES, type ReviewStatus } from '../vocabulary.js';
import { FLOW } from '../messages/flows.js';
import { projectRoot } from '../paths.js';
import { barChart, columnChart, esc, fitLabel, labelRoom } from '../reports/charts.js';
import { flowTranslator } from '../reports/labels.js';
import type { SummaryData } from '../reports/summary.js';
import { canSeeVillage, type Actor } from './access.js';
import { streamExport } from './api.js';
import { authOf, requireAuth, type AuthState } from './auth.js';
import { WorkspaceError, notFound } from './errors.js';
import { importPlanFile } from './plan-import.js';
import * as S from './schemas.js';
import * as svc from './service.js';
import type { Ctx, SubmissionView } from './service.js';
import { localParts } from '../time/index.js';
import { csrfField, fmtDate, LANG_COOKIE, langOf, layout, pager, statusBadge, tFor, type Lang, type PageKit, type Shell, type T } from './page-kit.js';
import { mountPeoplePages } from './pages-people.js';
import { mountIncidentPages } from './pages-incidents.js';
import { mountKabarPages } from './pages-kabar.js';
import { mountFunnelPages } from './pages-funnel.js';
import { describeAudit, type AuditWords } from './audit-text.js';
import { mountProxyPages } from './pages-proxy.js';
import { mountWorkshopPages } from './pages-workshops.js';
import { summaryFor } from './shared.js';
import { sendVoiceNote, transcribe, TRANSCRIPT_MAX } from './voice-notes.js';
import type { LabelledAnswer } from '../reports/labels.js';

export function loginPage(i18n: I18n, lang: Lang, token: string | null): string {
  const t = tFor(i18n, lang);
  const body = token
    ? `<p>${esc(t('login.intro'))}</p><form method="post" action="/masuk/${esc(token)}"><button type="submit" class="primary">${esc(t('login.button'))}</button></form>`
    : `<p>${esc(t('login.expired'))}</p>`;
  return layout({ t, lang, auth: null, title: t('login.title'), path: token ? `/masuk/${token}` : '/app/masuk' }, body);
}

/** `code` 'validation' (a form the schema refused) or 'internal' is said in the person's language, not the API's English. */
export function renderError(i18n: I18n, req: Request, status: number, message: string, code?: string): string {
  const lang = langOf(req);
  const t = tFor(i18n, lang);
  const title = status === 404 ? t('error.not_found') : status === 403 ? t('error.forbidden') : status === 400 ? t('error.bad_request') : t('error.internal');
  const text = code === 'validation' ? t('error.validation_text') : code === 'internal' ? t('error.internal_text') : message;
  return layout({ t, lang, auth: null, title, path: '/app' }, `<p>${esc(text)}</p><p><a href="/app">${esc(t('nav.villages'))}</a></p>`);
}

export { statusBadge };

/** Map point colours by review status (map.js draws them; the legend under the map names them, as SVG fills: the CSP allows no inline style). */
const MAP_COLOURS: Record<ReviewStatus, string> = { baru: '#d9822b', diverifikasi: '#2f6f4f', ditindaklanjuti: '#1d5c8f', selesai: '#6b4c9a', ditolak: '#8a8f8c' };

/** `nameVillages`: a kecamatan's page names the village of each activity and help item. */
function summaryHtml(data: SummaryData, t: T, lang: Lang, tz: string, mapTileUrl: string | null, nameVillages: boolean): { body: string; head: string; scripts: string[] } {
  const parts: string[] = [];
  const riskTitle = t('summary.risk_by_type');
  parts.push(`<section><h2>${esc(t('summary.risks'))} <small>(${data.risks.total})</small></h2>`
    + `<div class="charts"><figure>${barChart(data.risks.byType.map((r) => ({ label: r.label, value: r.value })), { title: riskTitle })}<figcaption>${esc(riskTitle)}</figcaption></figure>`
    + `<figure>${columnChart(data.risks.byMonth.map((m) => ({ label: m.month.slice(5), value: m.value })), { title: t('summary.risk_by_month') })}<figcaption>${esc(t('summary.risk_by_month'))}</figcaption></figure></div>`
    + `<p class="statuses">${REVIEW_STATUSES.map((s) => `${statusBadge(s, t)} ${data.risks.byStatus[s] ?? 0}`).join(' ')}</p></section>`);
  // The map: Leaflet from the app; without tiles the points sit on a grid with the village names.
  const mapData = JSON.stringify({ points: data.points, tiles: mapTileUrl, noTiles: t('summary.map_no_tiles'), colours: MAP_COLOURS }).replace(/</g, '\\u003c');
  const legend = `<ul class="legend" aria-label="${esc(t('summary.legend'))}">${REVIEW_STATUSES.map((s) => `<li><svg class="dot" width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="6" fill="${MAP_COLOURS[s]}" stroke="#fff"/></svg>${esc(t(`status.${s}`))}</li>`).join('')}</ul>`;
  parts.push(`<section><h2>${esc(t('summary.map'))} <small>(${data.points.length})</small></h2>`
    + (data.points.length ? `<div id="map" class="map" role="region" aria-label="${esc(t('summary.map'))}"></div><script type="application/json" id="map-data">${mapData}</script>`
      + legend + `<noscript><ul>${data.points.slice(0, 50).map((p) => `<li>${esc(p.village)}: ${esc(p.label)} (${p.lat.toFixed(4)}, ${p.lng.toFixed(4)})</li>`).join('')}</ul></noscript>`
      : `<p>${esc(t('summary.map_empty'))}</p>`) + `</section>`);
  const acts = data.activities;
  // A kecamatan's list names each activity's village.
  const manyVillages = nameVillages || data.villages.length > 1;
  const villageName = (code: string) => data.villages.find((v) => v.code === code)?.name ?? code;
  parts.push(`<section><h2>${esc(t('summary.activities'))} <small>(${acts.length})</small></h2>`
    + (acts.length
      ? barChart(acts.slice(0, 40).map((a) => ({ label: activityLabel(manyVillages ? villageName(a.villageCode) : null, a.title, t(`activity.${a.status}`)), value: a.percentDone, suffix: '%', colour: a.status === 'terhambat' ? '#b5472f' : a.status === 'selesai' ? '#2f6f4f' : '#3d7ea6' })), { title: t('summary.activities'), max: 100 })
      : `<p>${esc(t('summary.no_plan'))}</p>`) + `</section>`);
  const roles = ['warga', 'pokja', 'fasilitator', 'admin'];
  parts.push(`<section><h2>${esc(t('summary.coverage'))}</h2>`
    + `<p class="muted">${esc(t('summary.registered'))}</p>`
    + barChart(roles.map((r) => ({ label: t(`role.${r}`), value: data.coverage.byRole[r] ?? 0 })), { title: t('summary.registered') })
    + `<table><thead><tr><th>${esc(t('summary.role'))}</th><th>${esc(t('summary.registered'))}</th><th>${esc(t('summary.answered'))}</th></tr></thead><tbody>`
    + roles.map((r) => `<tr><td>${esc(t(`role.${r}`))}</td><td>${data.coverage.byRole[r] ?? 0}</td><td>${data.coverage.answeredBy[r] ?? 0}</td></tr>`).join('')
    + `</tbody></table><p class="muted">${esc(data.coverage.byGender ? '' : t('summary.gender_not_collected'))}</p>`
    + `<p>${Object.entries(data.coverage.submissions).map(([f, n]) => `${esc(t(`flow.${f}`, { defaultValue: f }))}: ${n}`).join(' · ')}</p></section>`);
  if (data.profile.length) {
    parts.push(`<section><h2>${esc(t('summary.profile'))} <small>${data.profileYear ?? ''}</small></h2><table><thead><tr><th>${esc(t('summary.question'))}</th><th>${esc(t('summary.now'))}</th><th>${esc(t('summary.last_year'))}</th></tr></thead><tbody>`
      + data.profile.map((p) => `<tr${p.changed ? ' class="changed"' : ''}><td>${esc(p.label)}</td><td>${esc(p.value)}</td><td>${esc(p.previous ?? '-')}${p.changed ? ` <strong>${esc(t('summary.changed'))}</strong>` : ''}</td></tr>`).join('')
      + `</tbody></table></section>`);
  }
  const helpLink = `/app/bantuan${data.villages.length === 1 ? `?village=${data.villages[0]!.code}` : ''}`;
  parts.push(`<section><h2>${esc(t('summary.help'))} <small>(${data.helpRequests.total})</small></h2>`
    + `<p><a href="${helpLink}">${esc(t('summary.help_requests'))}</a>: ${(['baru', 'dihubungi', 'selesai'] as const).map((s) => `${esc(t(`help.statuses.${s}`))} ${data.helpRequests.byStatus[s] ?? 0}`).join(' · ')}</p>`
    + `<h3>${esc(t('summary.help_from_reports'))} <small>(${data.help.length})</small></h3>`
    + (data.help.length ? `<ul>${data.help.map((h) => `<li><a href="/app/laporan/${h.id}">${esc(fmtDate(h.date, lang, tz))}</a>${manyVillages && h.villageCode ? ` · ${esc(villageName(h.villageCode))}` : ''}: ${esc(h.text)}</li>`).join('')}</ul>` : `<p>-</p>`) + `</section>`);
  parts.push(`<section><h2>${esc(t('summary.workshops'))}</h2>`
    + (data.workshops.length ? `<table><thead><tr><th>${esc(t('workshop.title'))}</th><th>${esc(t('workshop.date'))}</th><th>${esc(t('workshop.attendance'))}</th></tr></thead><tbody>${data.workshops.map((w) => `<tr><td>${esc(w.title)}</td><td>${esc(fmtDate(w.startsAt, lang, tz))}</td><td>${w.total}${w.women !== null ? ` (${esc(t('workshop.women'))}: ${w.women})` : ''}</td></tr>`).join('')}</tbody></table>` : '<p>-</p>')
    + `</section>`);
  const hasMap = data.points.length > 0;
  return {
    body: parts.join(''),
    head: hasMap ? '<link rel="stylesheet" href="/app/static/leaflet/leaflet.css">' : '',
    scripts: hasMap ? ['/app/static/leaflet/leaflet.js', '/app/static/map.js'] : [],
  };
}

/** The village's name; for someone of "desa lain", the name they wrote, marked as such. */
function villageLabel(v: Pick<SubmissionView, 'villageName' | 'villageCode' | 'villageTyped'>, t: T): string {
  if (v.villageName) return v.villageName;
  if (v.villageTyped) return t('report.village_typed', { name: v.villageTyped });
  return v.villageCode ?? '-';
}

/** A voice note: the player (streamed with Range from GridFS) and the form to type what was said. */
function voiceHtml(v: SubmissionView, a: LabelledAnswer, t: T, csrf: string): string {
  const base = `/app/laporan/${v.id}/suara/${esc(a.id)}`;
  return `<br><audio controls preload="metadata" src="${base}" aria-label="${esc(t('report.voice_play', { label: a.label }))}"></audio>`
    + `<form method="post" action="${base}/transkrip" class="transcript">${csrf}`
    + `<label>${esc(t('report.transcript'))}<textarea name="transcript" rows="3" maxlength="${TRANSCRIPT_MAX}">${esc(a.voice?.transcript ?? '')}</textarea></label>`
    + `<button type="submit">${esc(t('report.transcript_save'))}</button></form>`;
}

function submissionHtml(v: SubmissionView, t: T, lang: Lang, tz: string, csrf: string): string {
  const rows = v.labelled.answers.map((a) => {
    // A kept photo is shown itself, with its caption; "[foto]" only where there is nothing to show.
    const cell = a.mediaId
      ? `${a.caption ? `${esc(a.caption)}<br>` : ''}<img src="/app/laporan/${v.id}/foto/${esc(a.id)}" width="640" height="480" alt="${esc(a.caption ?? a.label)}" loading="lazy" class="photo">`
      : esc(a.value);
    const voice = a.voice ? voiceHtml(v, a, t, csrf) : '';
    return `<tr><th scope="row">${esc(a.label)}</th><td>${cell}${voice}</td></tr>`;
  }).join('');
  const groups = v.labelled.groups.map((g) => `<h3>${esc(g.label)}</h3>${g.items.map((item, i) => `<table class="group"><caption>#${i + 1}</caption>${item.map((a) => `<tr><th scope="row">${esc(a.label)}</th><td>${esc(a.value)}</td></tr>`).join('')}</table>`).join('')}`).join('');
  const who = v.reporter ? `${esc(v.reporter.name ?? '-')} (${esc(t(`role.${v.reporter.role ?? 'warga'}`))})` : '-';
  const proxy = v.proxy ? `<p class="muted">${esc(t('report.proxy', { name: v.proxy.forName }))}${v.proxy.enteredByName ? ` (${esc(v.proxy.enteredByName)})` : ''}${v.proxy.consentAloud ? ` · ${esc(t('report.consent_aloud'))}` : ''}</p>` : '';
  // Someone of "desa lain": the name they wrote, and where to reach them.
  const reach = v.villageTyped && v.reporter ? ` · <a href="/app/desa-lain#m-${esc(v.reporter.id)}">${esc(t('report.reach'))}</a>` : '';
  return `<p>${esc(villageLabel(v, t))}${reach} · ${esc(fmtDate(v.submittedAt, lang, tz, true))} · ${who}${v.demo ? ` · <span class="badge">${esc(t('common.demo'))}</span>` : ''}</p>${proxy}`
    + `<table class="answers">${rows}</table>${groups}`;
}

/** "Solang: Talud pantai · Berjalan", the title cut so that the village and the status stay in view. */
function activityLabel(village: string | null, title: string, status: string): string {
  const prefix = village ? `${village}: ` : '';
  const suffix = ` · ${status}`;
  return `${prefix}${fitLabel(title, labelRoom() - prefix.length - suffix.length)}${suffix}`;
}

/** The confirmation after a review is saved: the status now, and whether the reporter was told. */
function savedNotice(saved: unknown, v: SubmissionView, t: T): string {
  if ((saved !== '1' && saved !== 'told') || !v.review) return '';
  const status = t(`status.${v.review.status}`);
  return `<p class="notice ok" role="status">${esc(t('report.saved', { status }))}${saved === 'told' ? ` ${esc(t('report.saved_told'))}` : ''}</p>`;
}

const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 2 * 1024 * 1024, files: 1, fields: 10 } });

const langQuery = z.object({ lang: S.lang.optional() });

export function mountPages(router: express.Router, ctx: Ctx, opts: { now: () => Date; mapTileUrl: string | null }): void {
  const { i18n } = ctx;
  const tz = ctx.timeZone;
  const page = (req: Request, res: Response, s: Omit<Shell, 't' | 'lang' | 'auth' | 'path'>, body: string): void => {
    const lang = langOf(req);
    if (req.query.lang === 'en' || req.query.lang === 'id') res.cookie(LANG_COOKIE, lang, { sameSite: 'lax', path: '/', maxAge: 365 * 24 * 3600_000 });
    res.setHeader('cache-control', 'no-store');
    res.type('html').send(layout({ ...s, t: tFor(i18n, lang), lang, auth: res.locals.auth as AuthState | null, path: req.originalUrl }, body));
  };
  const T = (req: Request) => tFor(i18n, langOf(req));
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response, next: express.NextFunction) => {
    try { await fn(req, res); } catch (err) { next(err); }
  };

  router.get('/app/masuk', (req, res) => page(req, res, { title: T(req)('login.title') }, `<p>${esc(T(req)('login.how'))}</p>`));
  router.get('/app/keluar', (req, res) => page(req, res, { title: T(req)('login.signed_out') }, `<p>${esc(T(req)('login.how'))}</p>`));

  // Multipart (plan import) is parsed before the CSRF check reads its _csrf field.
  router.use('/app', (req, res, next) => (req.is('multipart/form-data') ? upload.single('file')(req, res, next) : next()));
  router.use('/app', requireAuth(opts.now, (req, res) => {
    if (req.path.startsWith('/static')) return void res.status(404).end();
    res.redirect(303, '/app/masuk');
  }));

  const actorOf = (res: Response): Actor => authOf(res).actor;
  const kit: PageKit = { ctx, page, T, langOf, wrap, actorOf };
  mountPeoplePages(router, kit);
  mountIncidentPages(router, kit);
  mountKabarPages(router, kit);
  mountFunnelPages(router, kit);
  mountProxyPages(router, kit);

  // Villages with coverage, grouped by kecamatan.
  router.get('/app', wrap(async (req, res) => {
    const t = T(req);
    const villages = await svc.listVillages(actorOf(res), {});
    const byKec = new Map<string, typeof villages>();
    for (const v of villages) byKec.set(v.kecamatanCode, [...(byKec.get(v.kecamatanCode) ?? []), v]);
    const body = [...byKec.entries()].map(([kc, list]) => `<section><h2><a href="/app/kecamatan/${kc}">${esc(list[0]!.kecamatan)}</a></h2>`
      + `<table><thead><tr><th>${esc(t('village.name'))}</th><th>${esc(t('village.members'))}</th><th>${esc(t('village.submissions'))}</th><th>${esc(t('village.new_reports'))}</th></tr></thead><tbody>`
      + list.map((v) => `<tr><td><a href="/app/desa/${v.code}">${esc(v.name)}</a>${v.assisted ? ` <span class="badge ok">${esc(t('village.assisted'))}</span>` : ''}</td><td>${v.coverage.members}</td><td>${v.coverage.submissions}</td><td>${v.coverage.reportsNew ? `<a href="/app/laporan?village=${v.code}&amp;status=baru">${v.coverage.reportsNew}</a>` : 0}</td></tr>`).join('')
      + `</tbody></table></section>`).join('');
    page(req, res, { title: t('nav.villages'), active: 'villages' }, body || `<p>${esc(t('village.none'))}</p>`);
  }));

  const summaryPage = (scope: 'village' | 'kecamatan') => wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const params = (scope === 'village' ? S.villageParams : S.kecamatanParams).parse(req.params);
    langQuery.parse(req.query);
    const data = await summaryFor(ctx, actorOf(res), scope, params.code, lang);
    const title = scope === 'village' ? `${data.villages[0]?.name ?? params.code}` : `${t('summary.kecamatan')} ${data.villages[0]?.kecamatan ?? params.code}`;
    const html = summaryHtml(data, t, lang, tz, opts.mapTileUrl, scope === 'kecamatan');
    const links = scope === 'village'
      ? `<p class="actions"><a href="/app/laporan?village=${params.code}">${esc(t('nav.reports'))}</a> <a href="/app/rencana?village=${params.code}">${esc(t('nav.plans'))}</a> <a href="/app/ekspor?village=${params.code}">${esc(t('nav.exports'))}</a></p>`
      : `<p>${data.villages.map((v) => `<a href="/app/desa/${v.code}">${esc(v.name)}</a>`).join(' · ')}</p>`;
    page(req, res, { title, active: 'villages', head: html.head, scripts: html.scripts }, links + html.body);
  });
  router.get('/app/desa/:code', summaryPage('village'));
  router.get('/app/kecamatan/:code', summaryPage('kecamatan'));

  // Reports with review.
  router.get('/app/laporan', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const q = S.reportsQuery.parse({ ...req.query, lang: undefined });
    const actor = actorOf(res);
    const list = await svc.listSubmissions(ctx, actor, { ...q, lang }, svc.RISK_FLOW);
    const villages = await svc.listVillages(actor, {});
    const filter = `<form method="get" class="filters"><label>${esc(t('report.status'))} <select name="status"><option value="">${esc(t('common.all'))}</option>${REVIEW_STATUSES.map((s) => `<option value="${s}"${q.status === s ? ' selected' : ''}>${esc(t(`status.${s}`))}</option>`).join('')}</select></label>`
      + ` <label>${esc(t('village.name'))} <select name="village"><option value="">${esc(t('common.all'))}</option>${villages.map((v) => `<option value="${v.code}"${q.village === v.code ? ' selected' : ''}>${esc(v.name)}</option>`).join('')}</select></label> <button type="submit">${esc(t('common.filter'))}</button></form>`;
    const rows = list.items.map((r) => {
      const type = r.labelled.answers.find((a) => a.id === 'type')?.value ?? '';
      const sev = r.labelled.answers.find((a) => a.id === 'severity')?.value.split(' (')[0] ?? '';
      const proxy = r.proxy ? ` <span class="badge proxy">${esc(t('report.proxy_short', { name: r.proxy.forName }))}</span>` : '';
      return `<tr><td><a href="/app/laporan/${r.id}">${esc(fmtDate(r.submittedAt, lang, tz))}</a></td><td>${esc(villageLabel(r, t))}</td><td>${esc(type)}${sev ? ` · ${esc(sev)}` : ''}${proxy}</td><td>${statusBadge(r.review?.status ?? 'baru', t)}</td></tr>`;
    }).join('');
    const base = `/app/laporan?${new URLSearchParams(Object.entries({ status: q.status ?? '', village: q.village ?? '' }).filter(([, v]) => v)).toString()}`;
    page(req, res, { title: t('nav.reports'), active: 'reports' }, filter
      + `<table><thead><tr><th>${esc(t('report.date'))}</th><th>${esc(t('village.name'))}</th><th>${esc(t('report.what'))}</th><th>${esc(t('report.status'))}</th></tr></thead><tbody>${rows || `<tr><td colspan="4">-</td></tr>`}</tbody></table>`
      + pager(q.page, q.limit, list.total, base, t));
  }));

  router.get('/app/laporan/:id', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const { id } = S.idParams.parse(req.params);
    const auth = authOf(res);
    const v = await svc.getSubmission(ctx, auth.actor, id, lang);
    let review = '';
    if (v.review) {
      review = `<section><h2>${esc(t('report.review'))}</h2><p>${statusBadge(v.review.status, t)}</p>`
        + `<form method="post" action="/app/laporan/${v.id}/status" class="review">${csrfField(auth)}`
        + `<fieldset><legend>${esc(t('report.new_status'))}</legend>${REVIEW_STATUSES.map((s) => `<label class="radio"><input type="radio" name="status" value="${s}"${v.review!.status === s ? ' checked' : ''}> ${esc(t(`status.${s}`))}</label>`).join('')}</fieldset>`
        + `<label>${esc(t('report.note'))}<textarea name="note" rows="3" maxlength="1000"></textarea></label><button type="submit" class="primary">${esc(t('report.save'))}</button></form>`
        + (v.review.notes.length ? `<h3>${esc(t('report.history'))}</h3><ul class="notes">${v.review.notes.slice().reverse().map((n) => `<li>${esc(fmtDate(n.at, lang, tz, true))} · ${esc(n.byName ?? '-')}${n.status ? ` · ${statusBadge(n.status, t)}` : ''}<br>${esc(n.text)}</li>`).join('')}</ul>` : '')
        + `</section>`;
    }
    const title = v.flowId === svc.RISK_FLOW ? t('report.title') : t(`flow.${v.flowId}`, { defaultValue: v.flowId });
    page(req, res, { title, active: 'reports' }, savedNotice(req.query.saved, v, t) + submissionHtml(v, t, lang, tz, csrfField(auth)) + review);
  }));

  router.post('/app/laporan/:id/status', wrap(async (req, res) => {
    const { id } = S.idParams.parse(req.params);
    const body = z.object({ status: S.reviewStatus, note: z.string().max(1000).optional(), _csrf: z.string() }).strict().parse(req.body);
    const actor = actorOf(res);
    const before = await svc.getSubmission(ctx, actor, id);
    await svc.setReportStatus(ctx, actor, id, body.status as ReviewStatus, body.note);
    // The reporter is told of a new status only (not of the demo's made-up people).
    const told = before.review?.status !== body.status && !before.demo && before.reporter !== null;
    res.redirect(303, `/app/laporan/${id}?saved=${told ? 'told' : '1'}`);
  }));

  router.get('/app/laporan/:id/suara/:questionId', wrap(async (req, res) => {
    const { id, questionId } = S.photoParams.parse(req.params);
    await sendVoiceNote(actorOf(res), id, questionId, req, res);
  }));
  router.post('/app/laporan/:id/suara/:questionId/transkrip', wrap(async (req, res) => {
    const { id, questionId } = S.photoParams.parse(req.params);
    const body = z.object({ transcript: z.string().max(TRANSCRIPT_MAX), _csrf: z.string() }).strict().parse(req.body);
    await transcribe(ctx, actorOf(res), id, questionId, body.transcript);
    res.redirect(303, `/app/laporan/${id}?saved=1`);
  }));

  // A report's photo from GridFS, resized for the page (JPEG, at most 800 px wide).
  router.get('/app/laporan/:id/foto/:questionId', wrap(async (req, res) => {
    const { id, questionId } = S.photoParams.parse(req.params);
    const found = await findReportMedia(id, questionId);
    if (!found || !canSeeVillage(actorOf(res), found.villageCode)) throw notFound('photo');
    const { mediaId } = found;
    if (!mediaId) throw notFound('photo');
    const bucket = mediaBucket();
    const files = await bucket.find({ _id: new mongoose.Types.ObjectId(mediaId) }).limit(1).toArray();
    if (!files[0]) throw notFound('photo');
    const resize = sharp()({ failOn: 'none' }).rotate().resize({ width: 800, height: 800, fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 72, mozjpeg: true });
    res.setHeader('content-type', 'image/jpeg');
    res.setHeader('cache-control', 'private, max-age=86400');
    const source = bucket.openDownloadStream(files[0]._id);
    source.on('error', () => res.destroy());
    resize.on('error', () => { if (!res.headersSent) res.status(415).end(); else res.destroy(); });
    source.pipe(resize).pipe(res);
  }));

  // Plans.
  router.get('/app/rencana', wrap(async (req, res) => {
    const t = T(req);
    const q = S.plansQuery.parse(req.query.lang ? { ...req.query, lang: undefined } : req.query);
    const actor = actorOf(res);
    const plans = await svc.listPlans(actor, q);
    const villages = await svc.listVillages(actor, {});
    const names = new Map(villages.map((v) => [v.code, v.name]));
    const year = localParts(opts.now(), tz).year;
    const body = `<form method="get" action="/app/rencana/buka" class="filters"><label>${esc(t('village.name'))} <select name="village">${villages.map((v) => `<option value="${v.code}"${q.village === v.code ? ' selected' : ''}>${esc(v.name)}</option>`).join('')}</select></label> <label>${esc(t('plan.year'))} <input name="year" type="number" min="2000" max="2100" value="${year}"></label> <button type="submit">${esc(t('plan.open'))}</button></form>`
      + `<table><thead><tr><th>${esc(t('village.name'))}</th><th>${esc(t('plan.year'))}</th><th>${esc(t('plan.goals'))}</th><th>${esc(t('plan.activities'))}</th></tr></thead><tbody>`
      + plans.items.map((p) => `<tr><td><a href="/app/rencana/${p.villageCode}/${p.year}">${esc(names.get(p.villageCode) ?? p.villageCode)}</a></td><td>${p.year}</td><td>${p.goals.length}</td><td>${p.activities.length}</td></tr>`).join('')
      + `</tbody></table>` + pager(q.page, q.limit, plans.total, `/app/rencana${q.village ? `?village=${q.village}` : ''}`, t)
      + `<p>${esc(t('plan.template'))}: <a href="/app/rencana/template.csv">CSV</a> · <a href="/app/rencana/template.xlsx">XLSX</a></p>`;
    page(req, res, { title: t('nav.plans'), active: 'plans' }, body);
  }));
  router.get('/app/rencana/buka', wrap(async (req, res) => {
    const q = z.object({ village: S.villageCode, year: S.year }).strict().parse(req.query);
    res.redirect(303, `/app/rencana/${q.village}/${q.year}`);
  }));
  router.get('/app/rencana/template.:ext', wrap(async (req, res) => {
    const ext = z.enum(['csv', 'xlsx']).parse(req.params.ext);
    const file = await readFile(join(projectRoot, 'templates', `rencana-desa.${ext}`));
    res.setHeader('content-disposition', `attachment; filename="rencana-desa.${ext}"`);
    res.type(ext === 'csv' ? 'text/csv' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(file);
  }));

  const planPage = async (req: Request, res: Response, extra = ''): Promise<void> => {
    const t = T(req);
    const lang = langOf(req);
    const { code, year } = S.planParams.parse(req.params);
    const auth = authOf(res);
    const village = await svc.getVillage(auth.actor, code);
    let plan: svc.PlanView | null = null;
    try { plan = await svc.getPlan(auth.actor, code, year); } catch (err) { if (!(err instanceof WorkspaceError && err.status === 404)) throw err; }
    const list = (items: { title: string }[]) => (items.length ? `<ol>${items.map((i) => `<li>${esc(i.title)}</li>`).join('')}</ol>` : '<p>-</p>');
    const acts = plan?.activities ?? [];
    const body = extra + (plan ? '' : `<p>${esc(t('plan.none'))}</p>`)
      + `<section><h2>${esc(t('plan.goals'))}</h2>${list(plan?.goals ?? [])}</section><section><h2>${esc(t('plan.challenges'))}</h2>${list(plan?.challenges ?? [])}</section>`
      + `<section><h2>${esc(t('plan.activities'))}</h2>${acts.map((a) => `<form method="post" action="/app/rencana/${code}/${year}/kegiatan/${a.id}" class="activity">${csrfField(auth)}`
        + `<strong>${esc(a.title)}</strong><span class="muted">${esc(a.owner ?? '')}${a.targetDate ? ` · ${esc(fmtDate(a.targetDate, lang, tz))}` : ''}${a.lastReportAt ? ` · ${esc(t('plan.last_report'))} ${esc(fmtDate(a.lastReportAt, lang, tz))}` : ''}</span>`
        + `<label>${esc(t('plan.status'))} <select name="status">${ACTIVITY_STATUSES.map((s) => `<option value="${s}"${a.status === s ? ' selected' : ''}>${esc(t(`activity.${s}`))}</option>`).join('')}</select></label>`
        + `<label>% <input name="percentDone" type="number" min="0" max="100" value="${a.percentDone}"></label><button type="submit">${esc(t('common.save'))}</button></form>`).join('') || '<p>-</p>'}</section>`
      + `<section><h2>${esc(t('plan.import'))}</h2><p>${esc(t('plan.import_help'))} <a href="/app/rencana/template.csv">CSV</a> · <a href="/app/rencana/template.xlsx">XLSX</a></p>`
      + `<form method="post" action="/app/rencana/${code}/${year}/impor" enctype="multipart/form-data">${csrfField(auth)}<input type="file" name="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required> <button type="submit" class="primary">${esc(t('plan.import_button'))}</button></form></section>`;
    page(req, res, { title: `${t('plan.title')} ${village.name} ${year}`, active: 'plans' }, body);
  };
  router.get('/app/rencana/:code/:year', wrap((req, res) => planPage(req, res)));
  router.post('/app/rencana/:code/:year/kegiatan/:activityId', wrap(async (req, res) => {
    const p = S.activityParams.parse(req.params);
    const b = z.object({ status: S.activityStatus, percentDone: z.coerce.number().int().min(0).max(100), _csrf: z.string() }).strict().parse(req.body);
    await svc.patchActivity(actorOf(res), p.code, p.year, p.activityId, { status: b.status, percentDone: b.percentDone });
    res.redirect(303, `/app/rencana/${p.code}/${p.year}`);
  }));
  router.post('/app/rencana/:code/:year/impor', wrap(async (req, res) => {
    const t = T(req);
    const { code, year } = S.planParams.parse(req.params);
    const file = (req as Request & { file?: { buffer: Buffer; originalname: string; mimetype: string } }).file;
    if (!file) throw new WorkspaceError(400, 'no_file', t('plan.no_file'));
    const type = file.originalname.toLowerCase().endsWith('.xlsx') ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
    try {
      const result = await importPlanFile(actorOf(res), code, year, file.buffer, type, i18n, langOf(req));
      await planPage(req, res, `<p class="notice ok">${esc(t('plan.imported', { count: result.imported }))}</p>`);
    } catch (err) {
      if (!(err instanceof WorkspaceError && err.code === 'import_errors')) throw err;
      const errors = (err.details as { errors: { row: number; column: string; message: string }[] }).errors;
      res.status(400);
      await planPage(req, res, `<div class="notice error"><p>${esc(t('plan.import_failed'))}</p><ul>${errors.slice(0, 100).map((e) => `<li>${esc(t('plan.row'))} ${e.row}${e.column ? ` (${esc(e.column)})` : ''}: ${esc(e.message)}</li>`).join('')}</ul></div>`);
    }
  }));

  mountWorkshopPages(router, kit);

  // Exports.
  router.get('/app/ekspor', wrap(async (req, res) => {
    const t = T(req);
    const actor = actorOf(res);
    const village = typeof req.query.village === 'string' ? req.query.village : '';
    const villages = await svc.listVillages(actor, {});
    // Not registration, nor the chat's "isi untuk warga" (it hands over to the chosen form and stores nothing itself).
    const flows = [...ctx.flows.values()].filter((f) => f.id !== 'daftar' && f.id !== FLOW.proxy);
    const body = `<form method="get" action="/app/ekspor/unduh" class="stack">`
      + `<label>${esc(t('export.flow'))}<select name="flow">${flows.map((f) => `<option value="${f.id}">${esc(flowTranslator(i18n, f, langOf(req))(f.title))}</option>`).join('')}</select></label>`
      + `<label>${esc(t('village.name'))}<select name="village"><option value="">${esc(t('common.all'))}</option>${villages.map((v) => `<option value="${v.code}"${village === v.code ? ' selected' : ''}>${esc(v.name)}</option>`).join('')}</select></label>`
      + `<label>${esc(t('export.from'))}<input type="date" name="from"></label><label>${esc(t('export.to'))}<input type="date" name="to"></label>`
      + `<label>${esc(t('export.language'))}<select name="lang"><option value="id">Bahasa Indonesia</option><option value="en">English</option></select></label>`
      + `<fieldset><legend>${esc(t('export.format'))}</legend><label class="radio"><input type="radio" name="format" value="csv" checked> CSV</label><label class="radio"><input type="radio" name="format" value="xlsx"> XLSX</label></fieldset>`
      + `<label>${esc(t('export.labels'))}<select name="labels"><option value="teks">${esc(t('export.labels_text'))}</option><option value="kode">${esc(t('export.labels_kode'))}</option></select></label>`
      + (actor.role === 'admin' ? `<label class="check"><input type="checkbox" name="names" value="1"> ${esc(t('export.names'))}</label>` : '')
      + `<p class="muted">${esc(t('export.pseudonyms'))}</p><button type="submit" class="primary">${esc(t('export.download'))}</button></form>`;
    page(req, res, { title: t('nav.exports'), active: 'exports' }, body);
  }));
  router.get('/app/ekspor/unduh', wrap(async (req, res) => {
    const raw = Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== ''));
    const format = z.enum(['csv', 'xlsx']).parse(raw.format);
    delete raw.format;
    await streamExport(ctx, actorOf(res), format, S.exportQuery.parse(raw), res);
  }));

  // Audit log: one sentence per change, in the reader's language (audit-text.ts).
  router.get('/app/audit', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const q = S.auditQuery.parse(req.query.lang ? { ...req.query, lang: undefined } : req.query);
    const [log, names] = await Promise.all([svc.listAudit(actorOf(res), q), svc.villageNames()]);
    const words: AuditWords = {
      t,
      village: (code) => names.get(code)?.name ?? code,
      date: (iso, withTime) => fmtDate(iso, lang, tz, withTime),
      flow: (id) => { const f = ctx.flows.get(id); return f ? flowTranslator(i18n, f, lang)(f.title) : t(`flow.${id}`, { defaultValue: id }); },
    };
    const items = log.items.map((e) => {
      const s = describeAudit(e, words);
      const who = t('audit.by', { name: e.actorName ?? t('audit.someone'), via: t(`audit.via.${e.via}`, { defaultValue: e.via }) });
      return `<li><p class="muted">${esc(fmtDate(e.at, lang, tz, true))} · ${esc(who)}</p><p>${esc(s.text)}${s.link ? ` <a href="${esc(s.link)}">${esc(t('audit.open'))}</a>` : ''}</p>`
        + (s.note ? `<p class="muted">${esc(t('audit.note'))}: ${esc(s.note)}</p>` : '') + `</li>`;
    }).join('');
    const body = `<p class="muted">${esc(t('audit.intro'))}</p>` + (items ? `<ol class="audit">${items}</ol>` : `<p>${esc(t('audit.none'))}</p>`)
      + pager(q.page, q.limit, log.total, '/app/audit', t);
    page(req, res, { title: t('nav.audit'), active: 'audit' }, body);
  }));

  // API keys (admin).
  router.get('/app/kunci', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const auth = authOf(res);
    const keys = await svc.listApiKeys(auth.actor);
    const body = `<p>${esc(t('keys.help'))} <a href="/api/openapi.json">OpenAPI</a></p><table><thead><tr><th>${esc(t('keys.name'))}</th><th>${esc(t('keys.prefix'))}</th><th>${esc(t('keys.last_used'))}</th><th></th></tr></thead><tbody>`
      + keys.map((k) => `<tr><td>${esc(k.name)}</td><td><code>${esc(k.prefix)}…</code></td><td>${esc(fmtDate(k.lastUsedAt, lang, tz, true))}</td><td>${k.revokedAt ? esc(t('keys.revoked')) : `<form method="post" action="/app/kunci/${k.id}/cabut">${csrfField(auth)}<button type="submit">${esc(t('keys.revoke'))}</button></form>`}</td></tr>`).join('')
      + `</tbody></table><form method="post" action="/app/kunci" class="stack">${csrfField(auth)}<label>${esc(t('keys.name'))}<input name="name" required maxlength="80"></label><button type="submit" class="primary">${esc(t('keys.create'))}</button></form>`;
    page(req, res, { title: t('nav.keys'), active: 'keys' }, body);
  }));
  router.post('/app/kunci', wrap(async (req, res) => {
    const t = T(req);
    const b = z.object({ name: z.string().trim().min(1).max(80), _csrf: z.string() }).strict().parse(req.body);
    const created = await svc.newApiKey(actorOf(res), { name: b.name });
    page(req, res, { title: t('nav.keys'), active: 'keys' }, `<p>${esc(t('keys.shown_once'))}</p><p><code class="key">${esc(created.key)}</code></p><p><a href="/app/kunci">${esc(t('nav.keys'))}</a></p>`);
  }));
  router.post('/app/kunci/:id/cabut', wrap(async (req, res) => {
    const { id } = S.idParams.parse(req.params);
    await svc.revokeApiKey(actorOf(res), id);
    res.redirect(303, '/app/kunci');
  }));

  router.use('/app', (req, res) => {
    res.status(404).type('html').send(renderError(i18n, req, 404, T(req)('error.not_found')));
  });
}
