import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyModel, LoginLinkModel, WorkspaceSessionModel } from '../../src/db/models.js';
import { hashToken } from '../../src/workspace/tokens.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, buildHarness, makeMember, signIn, type Harness } from './harness.js';

useTestDatabase();

let h: Harness;
beforeAll(async () => {
  h = await buildHarness();
});

describe('sign-in links', () => {
  it('are made only for facilitators and admins', async () => {
    const resident = await makeMember('warga', VILLAGE_A);
    const pokja = await makeMember('pokja', VILLAGE_A);
    const fac = await makeMember('fasilitator', VILLAGE_A);
    expect(await h.ws.createLoginLink(resident.id)).toBeNull();
    expect(await h.ws.createLoginLink(pokja.id)).toBeNull();
    expect(await h.ws.createLoginLink('not-an-id')).toBeNull();
    const link = await h.ws.createLoginLink(fac.id);
    expect(link?.url).toMatch(/^http:\/\/127\.0\.0\.1:3000\/masuk\/[A-Za-z0-9_-]{40,}$/);
    expect(link!.expiresAt.getTime() - h.clock.now.getTime()).toBe(15 * 60_000);
    // Only the hash is stored.
    const token = link!.url.split('/').pop()!;
    expect(await LoginLinkModel.countDocuments({ tokenHash: hashToken(token) })).toBe(1);
    expect(JSON.stringify(await LoginLinkModel.find().lean())).not.toContain(token);
  });

  it('a GET (a chat app previewing the link) does not use it up; the POST does, once', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const link = await h.ws.createLoginLink(fac.id);
    const path = new URL(link!.url).pathname;
    const page = await request(h.app).get(path).expect(200);
    expect(page.text).toContain(`action="${path}"`);
    await request(h.app).get(path).expect(200);
    const post = await request(h.app).post(path).expect(303);
    expect(post.headers.location).toBe('/app');
    const cookie = String(post.headers['set-cookie']?.[0]);
    expect(cookie).toMatch(/^sd_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    await request(h.app).post(path).expect(410);
    await request(h.app).get(path).expect(410);
  });

  it('expires after 15 minutes', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const link = await h.ws.createLoginLink(fac.id);
    const saved = h.clock.now;
    h.clock.now = new Date(saved.getTime() + 15 * 60_000 + 1000);
    try {
      await request(h.app).post(new URL(link!.url).pathname).expect(410);
    } finally {
      h.clock.now = saved;
    }
  });

  it('a member demoted to resident loses access at once', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const s = await signIn(h, fac.id);
    const { MemberModel } = await import('../../src/db/models.js');
    await MemberModel.updateOne({ _id: fac.id }, { $set: { role: 'warga' } });
    await request(h.app).get('/api/me').set('cookie', s.cookie).expect(401);
  });
});

describe('sessions', () => {
  it('no session: API 401, pages redirect to the sign-in help', async () => {
    await request(h.app).get('/api/villages').expect(401);
    const res = await request(h.app).get('/app').expect(303);
    expect(res.headers.location).toBe('/app/masuk');
    await request(h.app).get('/api/me').set('cookie', 'sd_session=forged-token-aaaaaaaaaaaaaaaaaaaaaaaa').expect(401);
  });

  it('expire after 12 hours', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const s = await signIn(h, fac.id);
    const saved = h.clock.now;
    h.clock.now = new Date(saved.getTime() + 12 * 3600_000 + 1000);
    try {
      await request(h.app).get('/api/me').set('cookie', s.cookie).expect(401);
    } finally {
      h.clock.now = saved;
    }
    await request(h.app).get('/api/me').set('cookie', s.cookie).expect(200);
  });

  it('sign-out ends the session (with the CSRF token)', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const s = await signIn(h, fac.id);
    await request(h.app).post('/keluar').set('cookie', s.cookie).type('form').send({ _csrf: s.csrf }).expect(303);
    await request(h.app).get('/api/me').set('cookie', s.cookie).expect(401);
    expect(await WorkspaceSessionModel.countDocuments({ memberId: fac.id, revokedAt: { $ne: null } })).toBe(1);
  });

  it('sign-out without the CSRF token is refused and the session goes on (issue 20)', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const s = await signIn(h, fac.id);
    // What a form on another site posts: the cookie rides along, the token does not.
    const denied = await request(h.app).post('/keluar').set('cookie', s.cookie).type('form').send({}).expect(403);
    expect(denied.text).toContain('CSRF');
    expect(denied.headers['set-cookie']).toBeUndefined();
    await request(h.app).post('/keluar').set('cookie', s.cookie).type('form').send({ _csrf: 'wrong' }).expect(403);
    await request(h.app).post('/keluar').set('cookie', s.cookie).set('x-csrf-token', 'wrong').expect(403);
    await request(h.app).get('/api/me').set('cookie', s.cookie).expect(200);
    await request(h.app).get('/app').set('cookie', s.cookie).expect(200);
    expect(await WorkspaceSessionModel.countDocuments({ memberId: fac.id, revokedAt: { $ne: null } })).toBe(0);
    // The page's own sign-out button carries the token and works; so does the header.
    const page = await request(h.app).get('/app').set('cookie', s.cookie).expect(200);
    const field = /<form method="post" action="\/keluar"[^>]*><input type="hidden" name="_csrf" value="([^"]+)">/.exec(page.text);
    expect(field?.[1]).toBe(s.csrf);
    const out = await request(h.app).post('/keluar').set('cookie', s.cookie).set('x-csrf-token', s.csrf).expect(303);
    expect(out.headers.location).toBe('/app/keluar');
    await request(h.app).get('/api/me').set('cookie', s.cookie).expect(401);
    // With no live session there is nothing to end: the cookie is cleared, no error.
    await request(h.app).post('/keluar').set('cookie', s.cookie).expect(303);
  });

  it('changes need the CSRF token on cookie sessions', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const s = await signIn(h, fac.id);
    const body = { title: 'Lokakarya', villageCodes: [VILLAGE_A], place: 'Balai desa', startsAt: '2026-09-17T09:00:00+09:00', endsAt: '2026-09-18T16:00:00+09:00' };
    const denied = await request(h.app).post('/api/workshops').set('cookie', s.cookie).send(body).expect(403);
    expect(denied.body.error).toBe('csrf');
    await request(h.app).post('/api/workshops').set('cookie', s.cookie).set('x-csrf-token', 'wrong').send(body).expect(403);
    await request(h.app).post('/api/workshops').set('cookie', s.cookie).set('x-csrf-token', s.csrf).send(body).expect(201);
  });

  it('pages carry security headers', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const s = await signIn(h, fac.id);
    const res = await request(h.app).get('/app').set('cookie', s.cookie).expect(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });
});

describe('API keys', () => {
  it('are stored hashed, work without CSRF, and stop working once revoked', async () => {
    const admin = await makeMember('admin', null);
    const s = await signIn(h, admin.id);
    const created = await request(h.app).post('/api/api-keys').set('cookie', s.cookie).set('x-csrf-token', s.csrf).send({ name: 'Dasbor kabupaten' }).expect(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^sdk_/);
    const stored = await ApiKeyModel.findById(created.body.id).lean();
    expect(stored!.keyHash).toBe(hashToken(key));
    expect(JSON.stringify(stored)).not.toContain(key);
    const listed = await request(h.app).get('/api/api-keys').set('authorization', `Bearer ${key}`).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    await request(h.app).post('/api/workshops').set('authorization', `Bearer ${key}`)
      .send({ title: 'Lokakarya', villageCodes: [VILLAGE_A], place: 'Balai', startsAt: '2026-09-17T09:00:00+09:00', endsAt: '2026-09-17T16:00:00+09:00' }).expect(201);
    await request(h.app).delete(`/api/api-keys/${created.body.id}`).set('authorization', `Bearer ${key}`).expect(204);
    await request(h.app).get('/api/me').set('authorization', `Bearer ${key}`).expect(401);
    await request(h.app).get('/api/me').set('authorization', 'Bearer sdk_made-up').expect(401);
  });

  it('only admins make keys', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const s = await signIn(h, fac.id);
    await request(h.app).post('/api/api-keys').set('cookie', s.cookie).set('x-csrf-token', s.csrf).send({ name: 'x' }).expect(403);
  });
});
