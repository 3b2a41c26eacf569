/**
 * The JSON API under /api. Every route is declared once in ROUTES with its zod schemas; the
 * router validates with them and /api/openapi.json is generated from them, so the document
 * and the routes cannot drift apart (a test calls every documented route).
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { REVIEW_STATUSES } from '../vocabulary.js';
import { exportCsv, exportXlsx } from '../reports/export.js';
import { localDay } from '../time/index.js';
import { audit } from './audit.js';
import { flowFunnel } from './funnel.js';
import * as incidents from './incidents.js';
import * as kabar from './kabar.js';
import * as people from './people.js';
import { submitProxyAnswers } from './proxy.js';
import { authOf } from './auth.js';
import { WorkspaceError, forbidden, notFound } from './errors.js';
import * as S from './schemas.js';
import * as svc from './service.js';
import type { Ctx } from './service.js';
import { exportFilter, summaryFor } from './shared.js';
import type { Actor } from './access.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Input {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
}

export interface RouteDef {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  adminOnly?: boolean;
  /** 200 JSON unless said otherwise. */
  success?: { status: number; contentType?: string };
  /** Error answers beside 400/401/403/404, documented with their reason (e.g. 409). */
  errors?: Record<string, string>;
  /** Raw body (plan import: CSV or XLSX). */
  rawBody?: string[];
  handle(ctx: Ctx, actor: Actor, input: Input, req: Request, res: Response): Promise<unknown>;
}

const any = <T>(v: unknown) => v as T;

export function apiRoutes(): RouteDef[] {
  return [
    { method: 'get', path: '/api/me', tag: 'auth', summary: 'Who is signed in, and which villages they see',
      handle: async (_c, a, _i, _req, res) => ({
        id: a.memberId, name: a.name, role: a.role, villages: a.villages, language: a.language,
        // For browser scripts on a cookie session: send it back as x-csrf-token on changes.
        csrfToken: authOf(res).csrfToken,
      }) },
    { method: 'get', path: '/api/villages', tag: 'villages', summary: 'Villages the caller sees, with coverage', query: S.villagesQuery,
      handle: async (_c, a, i) => ({ items: await svc.listVillages(a, any(i.query)) }) },
    { method: 'get', path: '/api/villages/:code', tag: 'villages', summary: 'One village with coverage', params: S.villageParams,
      handle: async (_c, a, i) => svc.getVillage(a, String(i.params.code)) },
    { method: 'patch', path: '/api/villages/:code', tag: 'villages', summary: 'Mark a village assisted, set its plan update date (admin)', params: S.villageParams, body: S.villagePatch, adminOnly: true,
      handle: async (_c, a, i) => svc.patchVillage(a, String(i.params.code), any(i.body)) },
    { method: 'get', path: '/api/villages/:code/summary', tag: 'villages', summary: 'Village summary: profile, risks, activities, coverage, help, workshops, map points', params: S.villageParams, query: S.summaryQuery,
      handle: async (c, a, i) => summaryFor(c, a, 'village', String(i.params.code), any<{ lang?: 'id' | 'en' }>(i.query).lang ?? a.language) },
    { method: 'get', path: '/api/villages/:code/kabar', tag: 'villages', summary: 'Preview of the village\'s next monthly news to residents (kabar desa), in both languages, with how many it reaches and whether it is held', params: S.villageParams,
      handle: async (c, a, i) => kabar.getKabar(c, a, String(i.params.code)) },
    { method: 'put', path: '/api/villages/:code/kabar', tag: 'villages', summary: 'Hold ({"held": true}) or release the village\'s next monthly news', params: S.villageParams, body: S.kabarHoldBody,
      errors: { '409': 'This month\'s news has already been sent' },
      handle: async (c, a, i) => kabar.holdKabar(c, a, String(i.params.code), any<{ held: boolean }>(i.body).held) },
    { method: 'get', path: '/api/kecamatan/:code/summary', tag: 'villages', summary: 'Kecamatan summary over the caller\'s villages in it', params: S.kecamatanParams, query: S.summaryQuery,
      handle: async (c, a, i) => summaryFor(c, a, 'kecamatan', String(i.params.code), any<{ lang?: 'id' | 'en' }>(i.query).lang ?? a.language) },
    { method: 'get', path: '/api/members', tag: 'members', summary: 'Registered members (no phone numbers, no platform ids)', query: S.membersQuery,
      handle: async (_c, a, i) => svc.listMembers(a, any(i.query)) },
    { method: 'get', path: '/api/members/unmatched', tag: 'members', summary: 'People registered with a village not in the list ("desa lain"), waiting for a village (admins: all; facilitators: those of their kecamatan)', query: S.unmatchedQuery,
      handle: async (_c, a, i) => people.listUnmatched(a, any(i.query)) },
    { method: 'put', path: '/api/members/:id/village', tag: 'members', summary: 'Give a person registered with "desa lain" a village from the list (admin); the person is told', params: S.idParams, body: S.memberVillageBody, adminOnly: true,
      errors: { '409': 'The person already has a village from the list' },
      handle: async (c, a, i) => people.setMemberVillage(c, a, String(i.params.id), any<{ villageCode: string }>(i.body).villageCode) },
    { method: 'put', path: '/api/facilitators/:id/villages', tag: 'members', summary: 'Assign villages to a facilitator (admin)', params: S.idParams, body: S.assignmentBody, adminOnly: true,
      handle: async (_c, a, i) => svc.setAssignment(a, String(i.params.id), any<{ villageCodes: string[] }>(i.body).villageCodes) },
    { method: 'get', path: '/api/plans', tag: 'plans', summary: 'Village plans', query: S.plansQuery,
      handle: async (_c, a, i) => svc.listPlans(a, any(i.query)) },
    { method: 'get', path: '/api/plans/:code/:year', tag: 'plans', summary: 'One village plan', params: S.planParams,
      handle: async (_c, a, i) => svc.getPlan(a, String(i.params.code), Number(i.params.year)) },
    { method: 'put', path: '/api/plans/:code/:year', tag: 'plans', summary: 'Create or replace a plan (items sent with their id keep it)', params: S.planParams, body: S.planBody,
      handle: async (_c, a, i) => svc.putPlan(a, String(i.params.code), Number(i.params.year), any(i.body)) },
    { method: 'post', path: '/api/plans/:code/:year/import', tag: 'plans', summary: 'Import a plan from the CSV or XLSX template (errors per row, nothing changed on error)', params: S.planParams,
      rawBody: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      handle: async (c, a, i, req) => {
        const { importPlanFile } = await import('./plan-import.js');
        return importPlanFile(a, String(i.params.code), Number(i.params.year), req.body as Buffer, req.get('content-type') ?? '', c.i18n, a.language);
      } },
    { method: 'patch', path: '/api/plans/:code/:year/activities/:activityId', tag: 'plans', summary: 'Change one activity', params: S.activityParams, body: S.activityPatch,
      handle: async (_c, a, i) => svc.patchActivity(a, String(i.params.code), Number(i.params.year), String(i.params.activityId), any(i.body)) },
    { method: 'get', path: '/api/submissions', tag: 'submissions', summary: 'Submissions of any flow, labelled', query: S.submissionsQuery,
      handle: async (c, a, i) => svc.listSubmissions(c, a, any(i.query)) },
    { method: 'post', path: '/api/submissions/proxy', tag: 'submissions', summary: 'Enter a resident\'s flow on their behalf (they agreed aloud): every answer parsed by the flow engine; 400 names the question whose answer does not parse', body: S.proxyBody, success: { status: 201 },
      handle: async (c, a, i) => {
        const created = await submitProxyAnswers(c, a, any(i.body));
        return svc.getSubmission(c, a, created.id);
      } },
    { method: 'get', path: '/api/submissions/:id', tag: 'submissions', summary: 'One submission, labelled', params: S.idParams, query: S.summaryQuery,
      handle: async (c, a, i) => svc.getSubmission(c, a, String(i.params.id), any<{ lang?: 'id' | 'en' }>(i.query).lang) },
    { method: 'get', path: '/api/reports', tag: 'reports', summary: 'Risk reports with their review', query: S.reportsQuery,
      handle: async (c, a, i) => svc.listSubmissions(c, a, any(i.query), svc.RISK_FLOW) },
    { method: 'get', path: '/api/reports/:id', tag: 'reports', summary: 'One risk report with its review', params: S.idParams, query: S.summaryQuery,
      handle: async (c, a, i) => svc.getSubmission(c, a, String(i.params.id), any<{ lang?: 'id' | 'en' }>(i.query).lang, svc.RISK_FLOW) },
    { method: 'patch', path: '/api/reports/:id/review', tag: 'reports', summary: `Set the review status (${REVIEW_STATUSES.join(', ')}) with a note; the reporter is told`, params: S.idParams, body: S.reviewBody,
      handle: async (c, a, i) => {
        const b = any<{ status: (typeof REVIEW_STATUSES)[number]; note?: string }>(i.body);
        return svc.setReportStatus(c, a, String(i.params.id), b.status, b.note);
      } },
    { method: 'get', path: '/api/flows/:flowId/funnel', tag: 'submissions', summary: 'Where people drop out of a flow: runs started in the period, how many reached each question, finished, and where the unfinished stopped (counts and percent), by village and channel', params: S.funnelParams, query: S.funnelQuery,
      handle: async (c, a, i) => flowFunnel(c, a, String(i.params.flowId), any(i.query)) },
    { method: 'get', path: '/api/incidents', tag: 'reports', summary: 'Incidents: risk reports of one village and hazard within 48 hours, with reporters counted, photos and the worst severity', query: S.incidentsQuery,
      handle: async (c, a, i) => incidents.listIncidents(c, a, any(i.query)) },
    { method: 'get', path: '/api/incidents/:id', tag: 'reports', summary: 'One incident', params: S.idParams,
      handle: async (_c, a, i) => incidents.getIncident(a, String(i.params.id)) },
    { method: 'patch', path: '/api/incidents/:id/review', tag: 'reports', summary: 'Set the review status of every report of the incident; each reporter is told', params: S.idParams, body: S.reviewBody,
      handle: async (c, a, i) => {
        const b = any<{ status: (typeof REVIEW_STATUSES)[number]; note?: string }>(i.body);
        return incidents.setIncidentStatus(c, a, String(i.params.id), b.status, b.note);
      } },
    { method: 'post', path: '/api/incidents/:id/merge', tag: 'reports', summary: 'Merge another incident of the same village into this one', params: S.idParams, body: S.incidentMergeBody,
      handle: async (c, a, i) => incidents.mergeIncident(c, a, String(i.params.id), any<{ incidentId: string }>(i.body).incidentId) },
    { method: 'post', path: '/api/incidents/:id/split', tag: 'reports', summary: 'Take one report out into an incident of its own (returns the new incident)', params: S.idParams, body: S.incidentSplitBody,
      handle: async (c, a, i) => incidents.splitIncident(c, a, String(i.params.id), any<{ reportId: string }>(i.body).reportId) },
    { method: 'get', path: '/api/help-requests', tag: 'help', summary: 'Help requests ("Minta dihubungi" in chat) of the caller\'s villages: who, village, when, where they were in the chat, status', query: S.helpQuery,
      handle: async (c, a, i) => people.listHelpRequests(c, a, any(i.query)) },
    { method: 'patch', path: '/api/help-requests/:id', tag: 'help', summary: 'Set a help request\'s status (baru, dihubungi, selesai) with a note', params: S.helpRequestParams, body: S.helpStatusBody,
      handle: async (c, a, i) => {
        const b = any<z.infer<typeof S.helpStatusBody>>(i.body);
        return people.setHelpStatus(c, a, String(i.params.id), b.status, b.note);
      } },
    { method: 'get', path: '/api/help-requests/from-reports', tag: 'help', summary: 'Risk reports whose "help needed" answer is filled (not contact requests)', query: S.helpReportsQuery,
      handle: async (c, a, i) => svc.listReportHelp(c, a, any(i.query)) },
    { method: 'get', path: '/api/workshops', tag: 'workshops', summary: 'Workshops with attendance', query: S.workshopsQuery,
      handle: async (_c, a, i) => svc.listWorkshops(a, any(i.query)) },
    { method: 'post', path: '/api/workshops', tag: 'workshops', summary: 'Schedule a workshop', body: S.workshopBody, success: { status: 201 },
      handle: async (_c, a, i) => svc.createWorkshop(a, any(i.body)) },
    { method: 'put', path: '/api/workshops/:id/attendance', tag: 'workshops', summary: 'Record attendance per village', params: S.idParams, body: S.attendanceBody,
      handle: async (_c, a, i) => svc.setAttendance(a, String(i.params.id), any(i.body)) },
    { method: 'get', path: '/api/broadcasts', tag: 'broadcasts', summary: 'Broadcasts to the caller\'s villages', query: S.broadcastsQuery,
      handle: async (_c, a, i) => svc.listBroadcasts(a, any(i.query)) },
    { method: 'post', path: '/api/broadcasts', tag: 'broadcasts', summary: 'Schedule a broadcast (sent by the chat side\'s dispatcher)', body: S.broadcastBody, success: { status: 201 },
      handle: async (_c, a, i) => svc.createBroadcast(a, any(i.body)) },
    { method: 'get', path: '/api/exports/:format', tag: 'exports', summary: 'Submissions of a flow as CSV or XLSX (streamed); names=1 for admins only, recorded in the audit log',
      params: S.exportParams, query: S.exportQuery, success: { status: 200, contentType: 'text/csv' },
      handle: async (c, a, i, _req, res) => streamExport(c, a, String(i.params.format) as 'csv' | 'xlsx', any(i.query), res) },
    { method: 'get', path: '/api/audit', tag: 'audit', summary: 'Audit log: who changed what and when', query: S.auditQuery,
      handle: async (_c, a, i) => svc.listAudit(a, any(i.query)) },
    { method: 'get', path: '/api/api-keys', tag: 'auth', summary: 'API keys (admin); the keys themselves are never shown again', adminOnly: true,
      handle: async (_c, a) => ({ items: await svc.listApiKeys(a) }) },
    { method: 'post', path: '/api/api-keys', tag: 'auth', summary: 'Create an API key (admin); the key is in this answer only', body: S.apiKeyBody, adminOnly: true, success: { status: 201 },
      handle: async (_c, a, i) => svc.newApiKey(a, any(i.body)) },
    { method: 'delete', path: '/api/api-keys/:id', tag: 'auth', summary: 'Revoke an API key (admin)', params: S.idParams, adminOnly: true, success: { status: 204 },
      handle: async (_c, a, i) => { await svc.revokeApiKey(a, String(i.params.id)); return null; } },
  ];
}

export async function streamExport(ctx: Ctx, actor: Actor, format: 'csv' | 'xlsx', q: z.infer<typeof S.exportQuery>, res: Response): Promise<typeof HANDLED> {
  const flow = ctx.flows.get(q.flow);
  if (!flow || flow.id === 'daftar') throw notFound('flow');
  if (q.names === '1' && actor.role !== 'admin') throw forbidden('Only an admin may export names.');
  const filter = exportFilter(actor, q, ctx.timeZone);
  await audit(actor, {
    action: q.names === '1' ? 'export.names' : 'export', targetType: 'flow', targetId: flow.id, villageCode: q.village ?? null,
    details: { format, village: q.village ?? null, kecamatan: q.kecamatan ?? null, from: q.from ?? null, to: q.to ?? null, names: q.names === '1' },
  }, ctx.now());
  const stamp = localDay(ctx.now(), ctx.timeZone);
  const name = `${flow.id}${q.village ? `_${q.village}` : ''}_${stamp}.${format}`;
  res.status(200);
  res.setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  res.setHeader('content-disposition', `attachment; filename="${name}"`);
  res.setHeader('cache-control', 'no-store');
  res.flushHeaders();
  const opts = { flow, filter, lang: q.lang, names: q.names === '1', i18n: ctx.i18n, timeZone: ctx.timeZone, linkBase: ctx.publicBaseUrl, values: q.labels === 'kode' ? 'kode' as const : 'labels' as const };
  try {
    if (format === 'csv') await exportCsv(res, opts);
    else await exportXlsx(res, opts);
  } catch (err) {
    ctx.logger.warn({ err }, 'Export stopped');
    res.destroy();
  }
  return HANDLED;
}

export const HANDLED = Symbol('handled');

function toExpressPath(path: string): string {
  return path;
}

export function errorBody(err: unknown): { status: number; body: Record<string, unknown> } | null {
  if (err instanceof WorkspaceError) return { status: err.status, body: { error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
  if (err instanceof z.ZodError) {
    return { status: 400, body: { error: 'validation', message: 'The request is not valid.', issues: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) } };
  }
  return null;
}

export function mountApi(router: express.Router, ctx: Ctx): void {
  for (const route of apiRoutes()) {
    const handlers: express.RequestHandler[] = [];
    if (route.rawBody) handlers.push(express.raw({ type: route.rawBody, limit: '2mb' }));
    handlers.push(async (req, res, next) => {
      try {
        const { actor } = authOf(res);
        if (route.adminOnly && actor.role !== 'admin') throw forbidden('Only an admin may do this.');
        const input: Input = {
          params: route.params ? (route.params.parse(req.params) as Record<string, unknown>) : {},
          query: (route.query ?? S.emptyQuery).parse(req.query) as Record<string, unknown>,
          body: route.body ? (route.body.parse(req.body ?? {}) as Record<string, unknown>) : {},
        };
        if (route.rawBody && !Buffer.isBuffer(req.body)) {
          throw new WorkspaceError(415, 'unsupported_media_type', `Send the file as ${route.rawBody.join(' or ')}.`);
        }
        const result = await route.handle(ctx, actor, input, req, res);
        if (result === HANDLED) return;
        const status = route.success?.status ?? 200;
        if (status === 204) return void res.status(204).end();
        res.status(status).json(result);
      } catch (err) {
        next(err);
      }
    });
    router[route.method](toExpressPath(route.path), ...handlers);
  }
}
