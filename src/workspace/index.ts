/**
 * The facilitator's workspace: sign-in links, sessions and API keys, the JSON API under
 * /api (OpenAPI at /api/openapi.json), the pages under /app, and the functions the chat side
 * uses (`masuk`, `laporan`, review buttons, `ringkasan`).
 *
 * Wiring (src/service.ts): const ws = createWorkspace({...}); app.use(ws.router) before finishApp.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import compression from 'compression';
import express, { type NextFunction, type Request, type Response } from 'express';
import rateLimit from 'express-rate-limit';
import type { i18n as I18n } from 'i18next';
import type { Logger } from 'pino';
import { newestReports } from '../db/repositories/submissions.js';
import { type ReviewStatus } from '../vocabulary.js';
import type { Flow } from '../engine/index.js';
import { securityHeaders } from '../http/security.js';
import { projectRoot } from '../paths.js';
import { formatAnswer } from '../reports/labels.js';
import { buildSummary, summaryText } from '../reports/summary.js';
import { DEFAULT_TIME_ZONE, localDay } from '../time/index.js';
import { actorFor, villageFilter } from './access.js';
import { errorBody, mountApi } from './api.js';
import { SESSION_COOKIE, createLoginLinkFor, peekLoginLink, redeemLoginLink, requireAuth, signOut } from './auth.js';
import { WorkspaceError } from './errors.js';
import { openApiDocument } from './openapi.js';
import { loginPage, mountPages, renderError } from './pages.js';
import { RISK_FLOW, setReportStatus as setStatus, type Ctx } from './service.js';

export { REVIEW_STATUSES, type ReviewStatus } from '../vocabulary.js';

export interface WorkspaceDeps {
  logger: Logger;
  flows: Map<string, Flow>;
  i18n: I18n;
  /** e.g. http://localhost:3000: sign-in links point here. */
  publicBaseUrl: string;
  /** After a form entered for a resident in the pages or the API is stored. */
  onProxySubmitted?: Ctx['onProxySubmitted'];
  /** Sends a chat message (a `workspace:` i18next key) to a member through the outbox. */
  notifyMember(memberId: string, message: { key: string; params?: Record<string, unknown> }): Promise<void>;
  now?: () => Date;
  /** The programme's time zone (config TIMEZONE): answers entered in the pages read dates in it. Default Asia/Jayapura. */
  timeZone?: string;
  /** Optional map tile URL template (e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png). Unset: no tiles, a grid with village names. */
  mapTileUrl?: string;
}

export interface NewReportsList {
  total: number;
  items: { id: string; text: string }[];
}

export interface Workspace {
  router: express.Router;
  /** For the chat command `masuk`: null for members who are not facilitators or admins. */
  createLoginLink(memberId: string): Promise<{ url: string; expiresAt: Date } | null>;
  /** For the chat command `laporan`: new risk reports of the member's villages (null: no access). */
  listNewReports(memberId: string, options?: { limit?: number; lang?: 'id' | 'en' }): Promise<NewReportsList | null>;
  /** Used by the pages, the API and the chat buttons. The reporter is told. */
  setReportStatus(input: { memberId: string; reportId: string; status: ReviewStatus; note?: string; via?: 'chat' | 'page' | 'api' }):
    Promise<{ ok: true; status: ReviewStatus } | { ok: false; reason: 'no_access' | 'not_found' }>;
  /** For the chat command `ringkasan`: a few lines, or null when the village is unknown. `simulatorOnly`: of the simulator's people only. */
  villageSummaryText(villageCode: string, lang: 'id' | 'en', options?: { simulatorOnly?: boolean }): Promise<string | null>;
}

const OPERATOR_KEY = /(^\$)|\[\s*\$|\$\w+\]/;

/** Any key that looks like a query operator ("$gt", "a[$ne]") in the query string or a JSON body: 400. */
export function hasOperatorKey(value: unknown, depth = 0): boolean {
  if (depth > 20) return true;
  if (Array.isArray(value)) return value.some((v) => hasOperatorKey(v, depth + 1));
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.entries(value).some(([k, v]) => OPERATOR_KEY.test(k) || k.includes('.') && k.startsWith('$') || hasOperatorKey(v, depth + 1));
  }
  return false;
}

function leafletDist(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('leaflet/package.json')), 'dist');
}

export function createWorkspace(deps: WorkspaceDeps): Workspace {
  const now = deps.now ?? (() => new Date());
  const ctx: Ctx = { flows: deps.flows, i18n: deps.i18n, now, timeZone: deps.timeZone ?? DEFAULT_TIME_ZONE, publicBaseUrl: deps.publicBaseUrl, notifyMember: (id, m) => deps.notifyMember(id, m), logger: deps.logger,
    ...(deps.onProxySubmitted ? { onProxySubmitted: deps.onProxySubmitted } : {}),
  };
  const secureCookie = deps.publicBaseUrl.startsWith('https:');
  const router = express.Router();
  const paths = ['/app', '/api', '/masuk', '/keluar'];

  const tileOrigin = deps.mapTileUrl ? new URL(deps.mapTileUrl.replace(/[{}]/g, '')).origin : null;
  router.use(paths, securityHeaders({ imgSrc: tileOrigin ? [tileOrigin] : [] }));
  // Pages and JSON shrink to a fraction over a weak connection; streamed exports are flushed as they go.
  router.use(paths, compression());
  router.use(['/masuk'], rateLimit({ windowMs: 15 * 60_000, limit: 60, standardHeaders: 'draft-8', legacyHeaders: false }));
  router.use(['/api'], rateLimit({ windowMs: 60_000, limit: 600, standardHeaders: 'draft-8', legacyHeaders: false }));

  router.use('/app/static/leaflet', express.static(leafletDist(), { maxAge: '7d', index: false }));
  router.use('/app/static', express.static(join(projectRoot, 'public', 'workspace'), { maxAge: '1d', index: false }));

  router.use(['/api'], express.json({ limit: '200kb' }));
  router.use(['/app', '/masuk', '/keluar'], express.urlencoded({ extended: false, limit: '200kb' }));
  router.use(paths, (req: Request, _res: Response, next: NextFunction) => {
    if (hasOperatorKey(req.query) || hasOperatorKey(req.body)) {
      return next(new WorkspaceError(400, 'operator_refused', 'Keys starting with "$" (query operators) are not accepted.'));
    }
    next();
  });

  router.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument(deps.publicBaseUrl));
  });

  // Sign-in: GET shows a button (link previews in chat apps must not use the link up), POST signs in.
  router.get('/masuk/:token', async (req, res, next) => {
    try {
      const lang = req.query.lang === 'en' ? 'en' : 'id';
      const ok = await peekLoginLink(String(req.params.token), now());
      res.status(ok ? 200 : 410).type('html').send(loginPage(deps.i18n, lang, ok ? String(req.params.token) : null));
    } catch (err) { next(err); }
  });
  router.post('/masuk/:token', async (req, res, next) => {
    try {
      const session = await redeemLoginLink(String(req.params.token), now());
      if (!session) return void res.status(410).type('html').send(loginPage(deps.i18n, 'id', null));
      res.cookie(SESSION_COOKIE, session.sessionToken, {
        httpOnly: true, sameSite: 'lax', secure: secureCookie, path: '/', expires: session.expiresAt,
      });
      const actor = await actorFor(session.memberId, 'page');
      if (actor) await (await import('./audit.js')).audit(actor, { action: 'session.start', targetType: 'session' }, now());
      res.redirect(303, '/app');
    } catch (err) { next(err); }
  });
  router.post('/keluar', async (req, res, next) => {
    try {
      await signOut(req, now());
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.redirect(303, '/app/keluar');
    } catch (err) { next(err); }
  });

  router.use('/api', requireAuth(now, (_req, res) => {
    res.status(401).json({ error: 'unauthorized', message: 'Sign in first (a link from the chat command "masuk"), or send an API key.' });
  }));
  mountApi(router, ctx);
  router.use('/api', (_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No such endpoint.' });
  });

  mountPages(router, ctx, { now, mapTileUrl: deps.mapTileUrl ?? null });

  router.use(paths, (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const known = errorBody(err);
    if (!known) {
      const e = err as { status?: number; type?: string };
      if (e?.type === 'entity.parse.failed' || e?.type === 'entity.too.large') return next(err);
      deps.logger.error({ err, path: req.path }, 'Workspace request failed');
    }
    const status = known?.status ?? 500;
    const body = known?.body ?? { error: 'internal', message: 'Something went wrong on our side.' };
    if (req.path.startsWith('/api') || req.originalUrl.startsWith('/api')) return void res.status(status).json(body);
    res.status(status).type('html').send(renderError(deps.i18n, req, status, String(body.message), String(body.error)));
  });

  return {
    router,
    createLoginLink: (memberId) => createLoginLinkFor(memberId, deps.publicBaseUrl, now()),
    async listNewReports(memberId, options = {}) {
      const actor = await actorFor(memberId, 'chat');
      if (!actor) return null;
      const lang = options.lang ?? actor.language;
      const scope = villageFilter(actor, 'villageCode');
      const { rows, total } = await newestReports({ ...(scope ?? {}), flowId: RISK_FLOW, 'review.status': 'baru' }, options.limit ?? 10, actor.simulatorOnly);
      const flow = deps.flows.get(RISK_FLOW);
      const { lookupsFor } = await import('./service.js');
      const lookups = await lookupsFor([]);
      const t = deps.i18n.getFixedT(lang, flow?.namespace ?? RISK_FLOW);
      const tr = (k: string, o?: Record<string, unknown>) => t(k, o ?? {}) as string;
      const typeQ = flow?.questions.find((q) => q.id === 'type');
      const sevQ = flow?.questions.find((q) => q.id === 'severity');
      return {
        total,
        items: rows.map((r) => {
          const a = r.answers as Record<string, unknown>;
          const type = typeQ && typeQ.type !== 'group' && typeQ.type !== 'note' ? formatAnswer(typeQ, a.type, tr, lookups, lang) : String(a.type ?? '');
          const sev = sevQ && sevQ.type !== 'group' && sevQ.type !== 'note' && a.severity ? formatAnswer(sevQ, a.severity, tr, lookups, lang).split(' (')[0] : '';
          const date = localDay(r.submittedAt, ctx.timeZone).slice(5).split('-').reverse().join('/');
          const village = r.villageName ?? lookups.villages.get(r.villageCode ?? '') ?? r.villageCode ?? '';
          const place = typeof a.place === 'string' ? `, ${a.place}` : '';
          return { id: String(r._id), text: `${date} ${village}${place}: ${type}${sev ? ` (${sev})` : ''}` };
        }),
      };
    },
    async setReportStatus({ memberId, reportId, status, note, via }) {
      const actor = await actorFor(memberId, via ?? 'chat');
      if (!actor) return { ok: false, reason: 'no_access' };
      try {
        await setStatus(ctx, actor, reportId, status, note);
        return { ok: true, status };
      } catch (err) {
        if (err instanceof WorkspaceError && err.status === 404) return { ok: false, reason: 'not_found' };
        throw err;
      }
    },
    async villageSummaryText(villageCode, lang, options = {}) {
      const data = await buildSummary({ codes: [villageCode], flows: deps.flows, i18n: deps.i18n, lang, now: now(), timeZone: ctx.timeZone, ...options });
      if (data.villages.length === 0) return null;
      return summaryText(data, deps.i18n, lang);
    },
  };
}
