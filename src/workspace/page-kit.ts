/**
 * What every workspace page shares: the language of a request, the page shell (header, nav,
 * sign-out form), the CSRF field, dates, paging, and the kit the page modules (pages.ts,
 * pages-people.ts, pages-proxy.ts) are mounted with.
 */
import type express from 'express';
import type { Request, Response } from 'express';
import type { i18n as I18n } from 'i18next';
import { esc } from '../reports/charts.js';
import type { Actor } from './access.js';
import { readCookie, type AuthState } from './auth.js';
import type { Ctx } from './service.js';
import { formatShortDate } from '../time/index.js';

export type Lang = 'id' | 'en';
export type T = (key: string, options?: Record<string, unknown>) => string;

export const LANG_COOKIE = 'sd_lang';

export function langOf(req: Request): Lang {
  if (req.query.lang === 'en' || req.query.lang === 'id') return req.query.lang;
  return readCookie(req, LANG_COOKIE) === 'en' ? 'en' : 'id';
}

export function tFor(i18n: I18n, lang: Lang): T {
  const t = i18n.getFixedT(lang, 'workspace');
  return (key, options) => t(key, options ?? {}) as string;
}

export interface Shell {
  t: T;
  lang: Lang;
  auth: AuthState | null;
  active?: string;
  title: string;
  /** Extra tags for <head> (the summary page's Leaflet stylesheet). */
  head?: string;
  scripts?: string[];
  path: string;
}

export function layout(s: Shell, body: string): string {
  const { t, auth } = s;
  const nav = auth
    ? [
        ['villages', '/app', t('nav.villages')],
        ['reports', '/app/laporan', t('nav.reports')],
        ['incidents', '/app/kejadian', t('nav.incidents')],
        ['kabar', '/app/kabar', t('nav.kabar')],
        ['funnel', '/app/alur', t('nav.funnel')],
        ['help', '/app/bantuan', t('nav.help')],
        ['proxy', '/app/isi', t('nav.proxy')],
        ['plans', '/app/rencana', t('nav.plans')],
        ['workshops', '/app/lokakarya', t('nav.workshops')],
        ['exports', '/app/ekspor', t('nav.exports')],
        ['audit', '/app/audit', t('nav.audit')],
        ['unmatched', '/app/desa-lain', t('nav.unmatched')],
        ...(auth.actor.role === 'admin' ? [['keys', '/app/kunci', t('nav.keys')]] : []),
      ].map(([id, href, label]) => `<a href="${href}"${s.active === id ? ' aria-current="page"' : ''}>${esc(label!)}</a>`).join('')
    : '';
  const other: Lang = s.lang === 'id' ? 'en' : 'id';
  const sep = s.path.includes('?') ? '&' : '?';
  const signOut = auth
    ? `<form method="post" action="/keluar" class="inline"><input type="hidden" name="_csrf" value="${esc(auth.csrfToken ?? '')}"><button type="submit" class="link">${esc(t('nav.sign_out'))}</button></form>`
    : '';
  return `<!doctype html><html lang="${s.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<title>${esc(s.title)} · Suara Desa</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/app/static/workspace.css">${s.head ?? ''}</head><body>`
    + `<header><div class="top"><a class="brand" href="/app">Suara Desa</a><span class="who">${auth ? esc(`${auth.actor.name} · ${t(`role.${auth.actor.role}`)}`) : ''}</span>`
    + `<a class="lang" href="${esc(s.path.replace(/([?&])lang=\w+&?/, '$1'))}${sep}lang=${other}" hreflang="${other}">${other === 'en' ? 'English' : 'Bahasa Indonesia'}</a>${signOut}</div>`
    + (nav ? `<nav>${nav}</nav>` : '') + `</header><main><h1>${esc(s.title)}</h1>${body}</main>`
    + (s.scripts ?? []).map((src) => `<script src="${src}" defer></script>`).join('') + `</body></html>`;
}

const STATUS_CLASS: Record<string, string> = { baru: 'new', diverifikasi: 'ok', ditindaklanjuti: 'act', selesai: 'done', ditolak: 'no' };

/** A review status as a coloured badge. */
export function statusBadge(status: string, t: T): string {
  return `<span class="badge ${STATUS_CLASS[status] ?? ''}">${esc(t(`status.${status}`))}</span>`;
}

export function csrfField(auth: AuthState): string {
  return `<input type="hidden" name="_csrf" value="${esc(auth.csrfToken ?? '')}">`;
}

/** "8 Des 2026" (with time "8 Des 2026, 06.13"): an instant in the programme's zone; a yyyy-mm-dd day as that day. */
export function fmtDate(iso: string | null | undefined, lang: Lang, timeZone: string, withTime = false): string {
  if (!iso) return '-';
  return formatShortDate(iso, lang, timeZone, withTime);
}

export function pager(page: number, limit: number, total: number, base: string, t: T): string {
  const pages = Math.max(1, Math.ceil(total / limit));
  if (pages <= 1) return '';
  const sep = base.includes('?') ? '&' : '?';
  const prev = page > 1 ? `<a href="${esc(`${base}${sep}page=${page - 1}`)}">&larr; ${esc(t('common.prev'))}</a>` : '';
  const next = page < pages ? `<a href="${esc(`${base}${sep}page=${page + 1}`)}">${esc(t('common.next'))} &rarr;</a>` : '';
  return `<p class="pager">${prev} <span>${page} / ${pages}</span> ${next}</p>`;
}

/** What the page modules (people, proxy entry) need from the page machinery. */
export interface PageKit {
  ctx: Ctx;
  page(req: Request, res: Response, s: Omit<Shell, 't' | 'lang' | 'auth' | 'path'>, body: string): void;
  T(req: Request): T;
  langOf(req: Request): Lang;
  wrap(fn: (req: Request, res: Response) => Promise<void>): express.RequestHandler;
  actorOf(res: Response): Actor;
}

