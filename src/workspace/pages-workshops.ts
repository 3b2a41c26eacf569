/**
 * Workshops and broadcasts (/app/lokakarya): per workshop the answers from chat per village
 * (hadir / mungkin / tidak / belum), the attendance recorded on the day (a form per workshop),
 * and the broadcasts with their status in words, "Hentikan siaran" while one is being sent.
 * Cards, not wide tables: the page is read on a 360 px phone.
 */
import type express from 'express';
import { z } from 'zod';
import { esc } from '../reports/charts.js';
import { formatLocalIso, parseLocalDateTime } from '../time/index.js';
import { authOf } from './auth.js';
import { WorkspaceError } from './errors.js';
import { csrfField, fmtDate, type Lang, type PageKit, type T } from './page-kit.js';
import * as S from './schemas.js';
import * as svc from './service.js';

const NOTICES = ['attendance', 'workshop', 'broadcast', 'stopped'] as const;
const noticeQuery = z.object({ saved: z.enum(NOTICES).optional(), lang: S.lang.optional() });

function rsvpTable(w: svc.WorkshopView, names: Map<string, string>, t: T): string {
  const head = ['hadir', 'mungkin', 'tidak', 'belum'].map((k) => `<th scope="col">${esc(t(`workshop.rsvp.${k}`))}</th>`).join('');
  const rows = w.rsvp.map((r) => `<tr><th scope="row">${esc(names.get(r.villageCode) ?? r.villageCode)}</th><td>${r.hadir}</td><td>${r.mungkin}</td><td>${r.tidak}</td><td>${r.belum}</td></tr>`).join('');
  return `<table class="rsvp"><caption>${esc(t('workshop.rsvp.title'))}</caption><thead><tr><th scope="col">${esc(t('workshop.villages'))}</th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function attendanceForm(w: svc.WorkshopView, names: Map<string, string>, csrf: string, t: T): string {
  const rows = w.villageCodes.map((code) => {
    const a = w.attendance.find((x) => x.villageCode === code);
    const name = names.get(code) ?? code;
    return `<fieldset class="attendance"><legend>${esc(name)}</legend><input type="hidden" name="villageCode" value="${esc(code)}">`
      + `<label>${esc(t('workshop.present'))} <input type="number" name="total" min="0" max="10000" inputmode="numeric" value="${a ? a.total : ''}" aria-label="${esc(`${t('workshop.present')} ${name}`)}"></label>`
      + `<label>${esc(t('workshop.women_present'))} <input type="number" name="women" min="0" max="10000" inputmode="numeric" value="${a?.women ?? ''}" aria-label="${esc(`${t('workshop.women_present')} ${name}`)}"></label></fieldset>`;
  }).join('');
  return `<form method="post" action="/app/lokakarya/${w.id}/kehadiran" class="stack">${csrf}<h4>${esc(t('workshop.recorded'))}</h4>${rows}`
    + `<button type="submit" class="primary">${esc(t('workshop.save_attendance'))}</button></form>`;
}

function workshopCard(w: svc.WorkshopView, names: Map<string, string>, csrf: string, t: T, lang: Lang, tz: string): string {
  const status = w.status === 'scheduled' ? '' : ` <span class="badge">${esc(t(`workshop.statuses.${w.status}`, { defaultValue: w.status }))}</span>`;
  return `<article class="card" id="w-${w.id}"><h3>${esc(w.title)}${status}</h3>`
    + `<p class="muted">${esc(fmtDate(w.startsAt, lang, tz, true))} · ${esc(w.place)}</p>`
    + rsvpTable(w, names, t) + attendanceForm(w, names, csrf, t) + `</article>`;
}

function broadcastCard(b: svc.BroadcastView, names: Map<string, string>, csrf: string, t: T, lang: Lang, tz: string): string {
  const stop = b.status === 'sending'
    ? `<form method="post" action="/app/siaran/${b.id}/hentikan">${csrf}<button type="submit">${esc(t('broadcast.stop'))}</button></form>` : '';
  return `<article class="card"><p class="muted">${esc(fmtDate(b.scheduledAt, lang, tz, true))} · ${esc(b.villageCodes.map((c) => names.get(c) ?? c).join(', '))} `
    + `<span class="badge">${esc(t(`broadcast.statuses.${b.status}`, { defaultValue: b.status }))}</span></p><p class="text">${esc(b.text.id ?? '')}</p>${stop}</article>`;
}

/** datetime-local inputs are wall-clock times in the programme's zone (TIMEZONE); left as typed when not one, for the form's error. */
function localToIso(local: string, tz: string): string {
  const at = parseLocalDateTime(local, tz);
  return at ? formatLocalIso(at, tz) : local;
}
const many = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The attendance form's parallel lists (villageCode, total, women) as rows; a village left empty is not changed. */
function attendanceRows(body: Record<string, unknown>): { villageCode: unknown; total: number; women: number | null }[] {
  const codes = many(body.villageCode);
  const totals = many(body.total).map(String);
  const women = many(body.women).map(String);
  return codes.flatMap((villageCode, i) => (totals[i]?.trim()
    ? [{ villageCode, total: Number(totals[i]), women: women[i]?.trim() ? Number(women[i]) : null }]
    : []));
}

export function mountWorkshopPages(router: express.Router, kit: PageKit): void {
  const { ctx, page, T, langOf, wrap, actorOf } = kit;
  const tz = ctx.timeZone;

  router.get('/app/lokakarya', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const auth = authOf(res);
    const q = noticeQuery.parse(req.query);
    const [workshops, broadcasts, villages] = await Promise.all([
      svc.listWorkshops(auth.actor, { page: 1, limit: 50 }),
      svc.listBroadcasts(auth.actor, { page: 1, limit: 50 }),
      svc.listVillages(auth.actor, {}),
    ]);
    const names = new Map(villages.map((v) => [v.code, v.name]));
    const csrf = csrfField(auth);
    const checkboxes = villages.map((v) => `<label class="check"><input type="checkbox" name="villageCodes" value="${v.code}"> ${esc(v.name)}</label>`).join('');
    const notice = q.saved ? `<p class="notice ok" role="status">${esc(t(`workshop.saved.${q.saved}`))}</p>` : '';
    const body = notice + `<section><h2>${esc(t('workshop.heading'))}</h2>`
      + (workshops.items.map((w) => workshopCard(w, names, csrf, t, lang, tz)).join('') || `<p>${esc(t('workshop.none'))}</p>`)
      + `<details><summary>${esc(t('workshop.new'))}</summary><form method="post" action="/app/lokakarya" class="stack">${csrf}`
      + `<label>${esc(t('workshop.title'))}<input name="title" required maxlength="200"></label><label>${esc(t('workshop.place'))}<input name="place" required maxlength="200"></label>`
      + `<label>${esc(t('workshop.starts'))}<input name="startsAt" type="datetime-local" required></label><label>${esc(t('workshop.ends'))}<input name="endsAt" type="datetime-local" required></label>`
      + `<fieldset><legend>${esc(t('workshop.villages'))}</legend>${checkboxes}</fieldset><button type="submit" class="primary">${esc(t('common.save'))}</button></form></details></section>`
      + `<section><h2>${esc(t('broadcast.title'))}</h2>`
      + (broadcasts.items.map((b) => broadcastCard(b, names, csrf, t, lang, tz)).join('') || `<p>${esc(t('broadcast.none'))}</p>`)
      + `<details><summary>${esc(t('broadcast.new'))}</summary><form method="post" action="/app/siaran" class="stack">${csrf}`
      + `<label>${esc(t('broadcast.text'))} (ID)<textarea name="textId" required maxlength="1000" rows="3"></textarea></label><label>${esc(t('broadcast.text'))} (EN)<textarea name="textEn" maxlength="1000" rows="3"></textarea></label>`
      + `<label>${esc(t('broadcast.when'))}<input name="scheduledAt" type="datetime-local" required></label>`
      + `<fieldset><legend>${esc(t('broadcast.roles'))}</legend>${['warga', 'pokja', 'fasilitator'].map((r) => `<label class="check"><input type="checkbox" name="roles" value="${r}"> ${esc(t(`role.${r}`))}</label>`).join('')}</fieldset>`
      + `<fieldset><legend>${esc(t('workshop.villages'))}</legend>${checkboxes}</fieldset><button type="submit" class="primary">${esc(t('common.save'))}</button></form></details></section>`;
    page(req, res, { title: t('nav.workshops'), active: 'workshops' }, body);
  }));

  router.post('/app/lokakarya', wrap(async (req, res) => {
    const b = req.body as Record<string, unknown>;
    const body = S.workshopBody.parse({ title: b.title, place: b.place, startsAt: localToIso(String(b.startsAt ?? ''), tz), endsAt: localToIso(String(b.endsAt ?? ''), tz), villageCodes: many(b.villageCodes) });
    await svc.createWorkshop(actorOf(res), body);
    res.redirect(303, '/app/lokakarya?saved=workshop');
  }));

  router.post('/app/lokakarya/:id/kehadiran', wrap(async (req, res) => {
    const { id } = S.idParams.parse(req.params);
    const parsed = S.attendanceBody.safeParse({ attendance: attendanceRows(req.body as Record<string, unknown>) });
    if (!parsed.success) throw new WorkspaceError(400, 'invalid_attendance', T(req)('workshop.invalid_attendance'));
    await svc.setAttendance(actorOf(res), id, parsed.data);
    res.redirect(303, `/app/lokakarya?saved=attendance#w-${id}`);
  }));

  router.post('/app/siaran', wrap(async (req, res) => {
    const b = req.body as Record<string, unknown>;
    const body = S.broadcastBody.parse({
      text: { id: b.textId, ...(b.textEn ? { en: b.textEn } : {}) }, scheduledAt: localToIso(String(b.scheduledAt ?? ''), tz),
      villageCodes: many(b.villageCodes), roles: many(b.roles),
    });
    await svc.createBroadcast(actorOf(res), body);
    res.redirect(303, '/app/lokakarya?saved=broadcast');
  }));

  router.post('/app/siaran/:id/hentikan', wrap(async (req, res) => {
    const { id } = S.idParams.parse(req.params);
    try {
      await svc.stopBroadcast(ctx, actorOf(res), id);
    } catch (err) {
      if (err instanceof WorkspaceError && err.code === 'not_sending') throw new WorkspaceError(400, err.code, T(req)('broadcast.not_sending'));
      throw err;
    }
    res.redirect(303, '/app/lokakarya?saved=stopped');
  }));
}
