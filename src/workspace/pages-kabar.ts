/**
 * Kabar desa (/app/kabar): a village's next monthly news to residents as they will read it,
 * how many it reaches, and a button to hold it (or release it) before it goes.
 */
import type express from 'express';
import { z } from 'zod';
import { esc } from '../reports/charts.js';
import { authOf } from './auth.js';
import * as kabar from './kabar.js';
import { csrfField, fmtDate, type PageKit } from './page-kit.js';
import * as S from './schemas.js';
import * as svc from './service.js';

export function mountKabarPages(router: express.Router, kit: PageKit): void {
  const { ctx, page, T, langOf, wrap, actorOf } = kit;

  router.get('/app/kabar', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const auth = authOf(res);
    const villages = await svc.listVillages(auth.actor, {});
    const asked = z.object({ village: S.villageParams.shape.code.optional() }).parse({ village: req.query.village || undefined }).village;
    const code = asked ?? villages[0]?.code;
    const picker = `<form method="get" class="filters"><label>${esc(t('village.name'))} <select name="village">${villages.map((v) => `<option value="${v.code}"${v.code === code ? ' selected' : ''}>${esc(v.name)}</option>`).join('')}</select></label> <button type="submit">${esc(t('common.filter'))}</button></form>`;
    if (!code) return page(req, res, { title: t('kabar.title'), active: 'kabar' }, `<p>-</p>`);
    const k = await kabar.getKabar(ctx, auth.actor, code);
    const state = k.held ? t('kabar.held', { name: k.heldBy ?? '-' }) : t('kabar.will_send', { month: k.month, count: k.recipients });
    const button = `<form method="post" action="/app/kabar/${code}/tahan">${csrfField(auth)}<input type="hidden" name="held" value="${k.held ? 'false' : 'true'}"><button type="submit"${k.held ? ' class="primary"' : ''}>${esc(t(k.held ? 'kabar.release' : 'kabar.hold'))}</button></form>`;
    page(req, res, { title: t('kabar.title'), active: 'kabar' }, `<p class="muted">${esc(t('kabar.intro'))}</p>${picker}`
      + `<section><h2>${esc(t('kabar.preview'))}</h2><pre class="preview">${esc(k.preview[lang])}</pre>`
      + `<p>${esc(state)}${k.sentAt ? ` · ${esc(t('kabar.sent', { at: fmtDate(k.sentAt, lang, ctx.timeZone, true) }))}` : ''}</p>${button}</section>`);
  }));

  router.post('/app/kabar/:code/tahan', wrap(async (req, res) => {
    const { code } = S.villageParams.parse(req.params);
    const body = z.object({ held: z.enum(['true', 'false']), _csrf: z.string() }).strict().parse(req.body);
    await kabar.holdKabar(ctx, actorOf(res), code, body.held === 'true');
    res.redirect(303, `/app/kabar?village=${code}`);
  }));
}
