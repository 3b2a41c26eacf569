/**
 * "Isi untuk warga": a facilitator or admin fills a resident's flow on their behalf, one
 * question at a time, with the same engine as the chat. The form asks who (name said aloud),
 * their village (among the actor's) and the consent given aloud; then each question is a
 * small form (radio buttons, checkboxes, an input) with Kembali and Lewati as buttons. The run
 * lives in a draft per actor, so a reload (or a phone that slept) continues where it was.
 */
import type express from 'express';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { OutboundMessage } from '../messages/index.js';
import { SKIP_ID, SKIP_NONE_ID, SKIP_UNKNOWN_ID, localDate, type AnswerQuestion } from '../engine/index.js';
import { formatCalendarDay } from '../time/calendar.js';
import { esc } from '../reports/charts.js';
import { authOf, type AuthState } from './auth.js';
import { WorkspaceError } from './errors.js';
import { csrfField, type Lang, type PageKit, type T } from './page-kit.js';
import { cancelDraft, loadDraft, proxyFlows, questionAt, startDraft, stepDraft, type DraftAnswer, type DraftView } from './proxy.js';
import * as S from './schemas.js';
import * as svc from './service.js';

const SPECIAL = new Set([SKIP_ID, SKIP_UNKNOWN_ID, SKIP_NONE_ID]);
const choiceId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

const startForm = z.strictObject({
  forName: S.residentName,
  villageCode: S.villageCode,
  flowId: S.flowId,
  consentAloud: z.literal('1').optional(),
  _csrf: z.string(),
});

const stepForm = z.strictObject({
  rev: z.coerce.number().int().min(0),
  action: z.union([z.enum(['answer', 'back', 'skip']), z.string().regex(/^choice:[A-Za-z0-9_-]{1,64}$/)]),
  value: z.string().max(1000).optional(),
  values: z.union([choiceId, z.array(choiceId).max(100)]).optional(),
  latitude: z.string().max(40).optional(),
  longitude: z.string().max(40).optional(),
  _csrf: z.string(),
});

const pageQuery = z.strictObject({ lang: S.lang.optional(), terkirim: S.objectId.optional(), selesai: z.literal('1').optional(), batal: z.literal('1').optional() });

/** The short consent notice of the registration (after its greeting), sentence by sentence, read to the resident. */
function consentLines(kit: PageKit, lang: Lang): string[] {
  const text = String(kit.ctx.i18n.getFixedT(lang, 'daftar')('privacy.prompt'));
  return text.split('\n\n').slice(1).join(' ').split(/(?<=\.)\s+/).map((l) => l.trim()).filter(Boolean);
}

function lines(text: string): string {
  return esc(text).replace(/\n/g, '<br>');
}

/** The input for the question being asked, from its type and the engine's structured prompt. */
function questionInput(q: AnswerQuestion, prompt: NonNullable<OutboundMessage['prompt']>, t: T, today: string): string {
  const choices = (prompt.choices ?? []).filter((c) => !SPECIAL.has(c.id) && c.id !== '__done');
  const label = (c: { label: string; description?: string }) => `${esc(c.label)}${c.description ? ` <small class="muted">${esc(c.description)}</small>` : ''}`;
  switch (q.type) {
    case 'single':
    case 'yesno':
      return `<fieldset class="choices"><legend>${lines(prompt.question)}</legend>${choices.map((c) => `<label class="choice"><input type="radio" name="value" value="${esc(c.id)}"> ${label(c)}</label>`).join('')}</fieldset>`;
    case 'multi': {
      const selected = new Set(prompt.multiple?.selected ?? []);
      return `<fieldset class="choices"><legend>${lines(prompt.question)}</legend>${choices.map((c) => `<label class="choice"><input type="checkbox" name="values" value="${esc(c.id)}"${selected.has(c.id) ? ' checked' : ''}> ${label(c)}</label>`).join('')}</fieldset>`;
    }
    case 'location':
      return `<fieldset><legend>${lines(prompt.question)}</legend><label>${esc(t('proxy.latitude'))}<input name="latitude" type="number" step="any" min="-90" max="90" inputmode="decimal"></label>`
        + `<label>${esc(t('proxy.longitude'))}<input name="longitude" type="number" step="any" min="-180" max="180" inputmode="decimal"></label></fieldset>`;
    default: {
      let input: string;
      if (q.type === 'integer' || q.type === 'decimal') {
        input = `<input name="value" type="number" ${q.type === 'integer' ? 'step="1" inputmode="numeric"' : 'step="any" inputmode="decimal"'}${q.min !== undefined ? ` min="${q.min}"` : ''}${q.max !== undefined ? ` max="${q.max}"` : ''}>`;
      } else if (q.type === 'date') {
        input = `<input name="value" type="date"${q.notFuture ? ` max="${today}"` : ''}>`;
      } else if (q.type === 'time') {
        input = '<input name="value" type="time">';
      } else if (q.type === 'photo' || (q.type === 'text' && q.maxLength > 120)) {
        input = `<textarea name="value" rows="3" maxlength="${q.type === 'text' ? q.maxLength : 300}"></textarea>`;
      } else {
        input = `<input name="value" type="text" autocomplete="off"${q.type === 'text' ? ` maxlength="${q.maxLength}"` : ''}>`;
      }
      return `<label class="question">${lines(prompt.question)}${input}</label>`;
    }
  }
}

function stepHtml(kit: PageKit, draft: DraftView, auth: AuthState, t: T, lang: Lang): string {
  const prompt = [...draft.messages].reverse().find((m) => m.prompt)?.prompt;
  const shown = draft.messages.filter((m) => !m.prompt).map((m) => `<p class="note">${lines(m.text)}</p>`).join('');
  const flowTitle = t(`flow.${draft.flow.id}`, { defaultValue: draft.flow.id });
  const head = `<p class="notice ok">${esc(t('proxy.for', { name: draft.forName, village: draft.villageName, flow: flowTitle }))}</p>`;
  const cancel = `<form method="post" action="/app/isi/batal" class="inline">${csrfField(auth)}<button type="submit">${esc(t('proxy.cancel'))}</button></form>`;
  if (!prompt) return `${head}${shown}${cancel}`;
  const q = questionAt(draft.flow, draft.state);
  const today = formatCalendarDay(localDate(kit.ctx.now(), kit.ctx.timeZone));
  const parts: string[] = [head, shown];
  if (prompt.lead) parts.push(`<p class="notice error" role="alert">${lines(prompt.lead)}</p>`);
  if (prompt.heading) parts.push(`<div class="heading">${lines(prompt.heading)}</div>`);
  const buttons: string[] = [];
  let body: string;
  if (q) {
    body = questionInput(q, prompt, t, today);
    if (q.hint) body += `<p class="muted">${lines(String(kit.ctx.i18n.getFixedT(lang, draft.flow.namespace)(q.hint)))}</p>`;
    buttons.push(`<button type="submit" name="action" value="answer" class="primary">${esc(t('proxy.next'))}</button>`);
    const skips = (prompt.choices ?? []).filter((c) => c.id === SKIP_UNKNOWN_ID || c.id === SKIP_NONE_ID);
    if (skips.length) buttons.push(...skips.map((c) => `<button type="submit" name="action" value="choice:${esc(c.id)}">${esc(c.label)}</button>`));
    else if (prompt.waysOut.skip) buttons.push(`<button type="submit" name="action" value="skip">${esc(t('proxy.skip'))}</button>`);
  } else {
    // "Add another?", the summary, "which answer to change?": their choices are the buttons.
    body = `<p class="question"><strong>${lines(prompt.question)}</strong></p>`;
    buttons.push(...(prompt.choices ?? []).map((c, i) => `<button type="submit" name="action" value="choice:${esc(c.id)}"${i === 0 ? ' class="primary"' : ''}>${esc(c.label)}</button>`));
  }
  if (prompt.waysOut.back) buttons.push(`<button type="submit" name="action" value="back" formnovalidate>${esc(t('proxy.back'))}</button>`);
  parts.push(`<form method="post" action="/app/isi/jawab" class="stack proxy">${csrfField(auth)}<input type="hidden" name="rev" value="${draft.rev}">${body}<p class="buttons">${buttons.join(' ')}</p></form>`);
  parts.push(cancel);
  return parts.join('');
}

export function mountProxyPages(router: express.Router, kit: PageKit): void {
  const { ctx, page, T, langOf, wrap, actorOf } = kit;

  const startPage = async (req: Request, res: Response, notice = ''): Promise<void> => {
    const t = T(req);
    const lang = langOf(req);
    const auth = authOf(res);
    const villages = await svc.listVillages(auth.actor, {});
    const flows = proxyFlows(ctx);
    const body = notice + `<p>${esc(t('proxy.intro'))}</p><form method="post" action="/app/isi" class="stack">${csrfField(auth)}`
      + `<label>${esc(t('proxy.name'))}<input name="forName" required minlength="2" maxlength="60" autocomplete="off"></label>`
      + `<label>${esc(t('proxy.village'))}<select name="villageCode" required>${villages.length === 1 ? '' : '<option value=""></option>'}${villages.map((v) => `<option value="${v.code}">${esc(v.name)} (${esc(v.kecamatan)})</option>`).join('')}</select></label>`
      + `<fieldset><legend>${esc(t('proxy.flow'))}</legend>${flows.map((f, i) => `<label class="radio"><input type="radio" name="flowId" value="${f.id}"${i === 0 ? ' checked' : ''}> ${esc(t(`flow.${f.id}`, { defaultValue: f.id }))}</label>`).join('')}</fieldset>`
      + `<div class="consent"><p><strong>${esc(t('proxy.consent_title'))}</strong></p><ul>${consentLines(kit, lang).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`
      + `<label class="check"><input type="checkbox" name="consentAloud" value="1" required> ${esc(t('proxy.consent'))}</label></div>`
      + `<button type="submit" class="primary">${esc(t('proxy.start'))}</button></form>`;
    page(req, res, { title: t('nav.proxy'), active: 'proxy' }, body);
  };

  router.get('/app/isi', wrap(async (req, res) => {
    const t = T(req);
    const lang = langOf(req);
    const q = pageQuery.parse(req.query);
    const auth = authOf(res);
    const draft = await loadDraft(ctx, auth.actor);
    if (draft) return page(req, res, { title: t('nav.proxy'), active: 'proxy' }, stepHtml(kit, draft, auth, t, lang));
    let notice = '';
    if (q.terkirim) {
      const sent = await svc.getSubmission(ctx, auth.actor, q.terkirim, lang);
      notice = `<p class="notice ok" role="status">${esc(t('proxy.sent', { name: sent.proxy?.forName ?? '' }))} <a href="/app/laporan/${sent.id}">${esc(t(`flow.${sent.flowId}`, { defaultValue: sent.flowId }))}</a></p>`;
    } else if (q.selesai) notice = `<p class="notice error" role="status">${esc(t('proxy.ended'))}</p>`;
    else if (q.batal) notice = `<p class="notice ok" role="status">${esc(t('proxy.cancelled'))}</p>`;
    await startPage(req, res, notice);
  }));

  router.post('/app/isi', wrap(async (req, res) => {
    const t = T(req);
    const parsed = startForm.safeParse(req.body);
    if (!parsed.success && parsed.error.issues.some((i) => i.path[0] === 'forName')) {
      res.status(400);
      return startPage(req, res, `<p class="notice error" role="alert">${esc(t('proxy.name_invalid'))}</p>`);
    }
    const b = startForm.parse(req.body);
    if (b.consentAloud !== '1') {
      res.status(400);
      return startPage(req, res, `<p class="notice error" role="alert">${esc(t('proxy.consent_required'))}</p>`);
    }
    await startDraft(ctx, actorOf(res), { flowId: b.flowId, villageCode: b.villageCode, forName: b.forName, lang: langOf(req) });
    res.redirect(303, '/app/isi');
  }));

  router.post('/app/isi/jawab', wrap(async (req, res) => {
    const b = stepForm.parse(req.body);
    const actor = actorOf(res);
    let answer: DraftAnswer;
    if (b.action === 'back') answer = { kind: 'back' };
    else if (b.action === 'skip') answer = { kind: 'choice', choiceId: SKIP_ID };
    else if (b.action.startsWith('choice:')) answer = { kind: 'choice', choiceId: b.action.slice('choice:'.length) };
    else {
      const draft = await loadDraft(ctx, actor);
      if (!draft) return void res.redirect(303, '/app/isi');
      const q = questionAt(draft.flow, draft.state);
      if (!q) throw new WorkspaceError(400, 'bad_request', 'This step is answered with one of its buttons.');
      answer = formAnswer(q, b);
    }
    const outcome = await stepDraft(ctx, actor, b.rev, answer);
    if (!outcome.done) return void res.redirect(303, '/app/isi');
    if (outcome.outcome === 'submitted') return void res.redirect(303, `/app/isi?terkirim=${outcome.submissionId}`);
    res.redirect(303, '/app/isi?selesai=1');
  }));

  router.post('/app/isi/batal', wrap(async (req, res) => {
    z.strictObject({ _csrf: z.string() }).parse(req.body);
    await cancelDraft(ctx, actorOf(res));
    res.redirect(303, '/app/isi?batal=1');
  }));
}

/** What the form sent, as the answer the engine reads; an empty field goes in as typed, so the engine says what it wants. */
function formAnswer(q: AnswerQuestion, b: z.infer<typeof stepForm>): DraftAnswer {
  const value = b.value?.trim() ?? '';
  switch (q.type) {
    case 'single':
    case 'yesno':
      return value ? { kind: 'choice', choiceId: value } : { kind: 'text', text: '' };
    case 'multi':
      return { kind: 'answer', value: b.values === undefined ? [] : Array.isArray(b.values) ? b.values : [b.values] };
    case 'location': {
      const lat = Number(b.latitude);
      const lng = Number(b.longitude);
      return b.latitude && b.longitude && Number.isFinite(lat) && Number.isFinite(lng)
        ? { kind: 'answer', value: { latitude: lat, longitude: lng } }
        : { kind: 'text', text: '' };
    }
    default:
      return { kind: 'text', text: value };
  }
}
