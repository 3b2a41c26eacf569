/**
 * Sign-in without passwords: a one-time link (15 minutes, single use) opens a browser
 * session; API keys for integrations. Only SHA-256 hashes of tokens are stored.
 */
import type { NextFunction, Request, Response } from 'express';
import { Types } from 'mongoose';
import { ApiKeyModel, LoginLinkModel, MemberModel, WorkspaceSessionModel } from '../db/models.js';
import { isSimulatorPerson } from '../vocabulary.js';
import { actorFor, isWorkspaceRole, type Actor } from './access.js';
import { WorkspaceError, unauthorized } from './errors.js';
import { hashToken, newToken, sameSecret } from './tokens.js';

export const LOGIN_LINK_MINUTES = 15;
export const SESSION_HOURS = 12;
export const SESSION_COOKIE = 'sd_session';
export const API_KEY_PREFIX = 'sdk_';

/** Makes a sign-in link for a facilitator or admin; null for anyone else. */
export async function createLoginLinkFor(memberId: string, publicBaseUrl: string, now: Date): Promise<{ url: string; expiresAt: Date } | null> {
  if (!Types.ObjectId.isValid(memberId)) return null;
  const member = await MemberModel.findById(memberId, { role: 1, channel: 1, platformUserId: 1 }).lean();
  // The chat simulator's staff only try things out: no way into the workspace.
  if (!member || !isWorkspaceRole(member.role) || isSimulatorPerson(member)) return null;
  const token = newToken();
  const expiresAt = new Date(now.getTime() + LOGIN_LINK_MINUTES * 60_000);
  await LoginLinkModel.create({ tokenHash: hashToken(token), memberId: member._id, expiresAt });
  return { url: `${publicBaseUrl.replace(/\/+$/, '')}/masuk/${token}`, expiresAt };
}

/** Is this link still usable? (Shown before the person presses "Masuk"; link previews must not use it up.) */
export async function peekLoginLink(token: string, now: Date): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return false;
  const link = await LoginLinkModel.findOne({ tokenHash: hashToken(token) }, { usedAt: 1, expiresAt: 1 }).lean();
  return !!link && !link.usedAt && link.expiresAt > now;
}

/** Uses the link up (atomically: a second use finds nothing) and opens a session. */
export async function redeemLoginLink(token: string, now: Date): Promise<{ sessionToken: string; expiresAt: Date; memberId: string } | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const link = await LoginLinkModel.findOneAndUpdate(
    { tokenHash: hashToken(token), usedAt: null, expiresAt: { $gt: now } },
    { $set: { usedAt: now } },
    { new: true },
  ).lean();
  if (!link) return null;
  const actor = await actorFor(link.memberId, 'page');
  if (!actor) return null;
  const sessionToken = newToken();
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3600_000);
  await WorkspaceSessionModel.create({ tokenHash: hashToken(sessionToken), memberId: link.memberId, csrfToken: newToken(24), expiresAt });
  return { sessionToken, expiresAt, memberId: String(link.memberId) };
}

/**
 * Sign-out (POST /keluar) for the session in the cookie. Like every other form it needs the
 * session's CSRF token (header x-csrf-token or field _csrf), so another site cannot sign a
 * person out; 403 without it. A cookie that holds no live session has nothing to end.
 */
export async function signOut(req: Request, now: Date): Promise<void> {
  const token = readCookie(req, SESSION_COOKIE);
  if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) return;
  const session = await WorkspaceSessionModel.findOne({ tokenHash: hashToken(token), revokedAt: null, expiresAt: { $gt: now } }, { csrfToken: 1 }).lean();
  if (!session) return;
  if (!csrfMatches(req, session.csrfToken)) throw csrfError();
  await WorkspaceSessionModel.updateOne({ _id: session._id }, { $set: { revokedAt: now } });
}

export async function createApiKey(ownerId: string, name: string, createdBy: string): Promise<{ id: string; key: string; prefix: string }> {
  const key = `${API_KEY_PREFIX}${newToken(30)}`;
  const prefix = key.slice(0, 10);
  const doc = await ApiKeyModel.create({ name, prefix, keyHash: hashToken(key), memberId: ownerId, createdBy });
  return { id: String(doc._id), key, prefix };
}

export function readCookie(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

export interface AuthState {
  actor: Actor;
  /** Null for API keys (no cookie, no CSRF). */
  csrfToken: string | null;
  sessionToken: string | null;
}

/** Finds who is asking: an API key (Authorization: Bearer sdk_...) or the session cookie. */
export async function authenticate(req: Request, now: Date): Promise<AuthState | null> {
  const authz = req.headers.authorization;
  if (typeof authz === 'string' && authz.startsWith('Bearer ')) {
    const key = authz.slice(7).trim();
    if (!key.startsWith(API_KEY_PREFIX) || key.length > 100) return null;
    const doc = await ApiKeyModel.findOneAndUpdate({ keyHash: hashToken(key), revokedAt: null }, { $set: { lastUsedAt: now } }).lean();
    if (!doc) return null;
    const actor = await actorFor(doc.memberId, 'api');
    return actor ? { actor, csrfToken: null, sessionToken: null } : null;
  }
  const token = readCookie(req, SESSION_COOKIE);
  if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const session = await WorkspaceSessionModel.findOne({ tokenHash: hashToken(token), revokedAt: null, expiresAt: { $gt: now } }).lean();
  if (!session) return null;
  const actor = await actorFor(session.memberId, req.originalUrl.startsWith('/api') ? 'api' : 'page');
  return actor ? { actor, csrfToken: session.csrfToken, sessionToken: token } : null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** express middleware: sets res.locals.auth, or answers 401; checks the CSRF token on cookie sessions. */
export function requireAuth(now: () => Date, onMissing: (req: Request, res: Response) => void) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const auth = await authenticate(req, now());
    if (!auth) return onMissing(req, res);
    if (auth.csrfToken && !SAFE_METHODS.has(req.method) && !csrfMatches(req, auth.csrfToken)) return next(csrfError());
    res.locals.auth = auth;
    next();
  };
}

/** Did the form or script send this session's CSRF token (header x-csrf-token, or the form field _csrf)? */
function csrfMatches(req: Request, csrfToken: string): boolean {
  const sent = req.get('x-csrf-token') ?? (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>)._csrf : undefined);
  return typeof sent === 'string' && sameSecret(sent, csrfToken);
}

const csrfError = () => new WorkspaceError(403, 'csrf', 'Missing or wrong CSRF token: reload the page and try again.');

export function authOf(res: Response): AuthState {
  const auth = res.locals.auth as AuthState | undefined;
  if (!auth) throw unauthorized();
  return auth;
}
