/**
 * Where people drop out: runs made in chat (one finished, one cancelled, one still answering,
 * one expired) give the funnel's figures, and the registrations' own funnel counts too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seedVillages } from '../../src/db/seed.js';
import { SEND_ID } from '../../src/engine/index.js';
import type { Actor } from '../../src/workspace/access.js';
import { flowFunnel } from '../../src/workspace/funnel.js';
import type { Ctx } from '../../src/workspace/service.js';
import { ChatUser, createService, loadRealFlows, registerAsWarga, TestClock } from '../helpers/chat.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();
beforeAll(async () => {
  await seedVillages();
});

const SOLANG = '81.05.15.2004';
const admin: Actor = { memberId: '000000000000000000000001', name: 'Admin', role: 'admin', villages: 'all', language: 'id', via: 'api' };

describe('the drop-out funnel', () => {
  it('counts started, reached, finished and where unfinished runs stopped, from runs made in chat', async () => {
    const clock = new TestClock(new Date('2026-11-27T02:00:00Z'));
    const svc = await createService(clock);
    const [done, cancelled, running, expired] = ['Ani', 'Budi', 'Citra', 'Dedi'].map(() => new ChatUser(svc));
    for (const [i, u] of [done, cancelled, running, expired].entries()) {
      await registerAsWarga(u!, `Warga ${i}`);
      await u!.pressId('laporan-risiko');
    }
    await expired!.say('lewati'); // not an answer to the type question: still at it
    await done!.pressId('banjir');
    await done!.say('kemarin');
    await done!.say('Dusun Kampung Baru');
    await done!.say('lewati');
    await done!.pressId('sedang');
    await done!.say('lewati');
    await done!.say('lewati');
    await done!.say('Terpal');
    await done!.say('lewati');
    await done!.pressId(SEND_ID);
    await cancelled!.pressId('banjir');
    await cancelled!.say('kemarin');
    await cancelled!.say('batal');
    await cancelled!.yes();
    expect(cancelled!.lastText).toContain('dibatalkan');
    await running!.pressId('rob');
    // Eight days later the unanswered run has expired (kept as a draft) when its person writes again.
    clock.current = new Date('2026-12-05T02:00:00Z');
    await expired!.say('banjir');
    expect(expired!.lastText).toContain('ditutup');

    const { flows, i18n } = await loadRealFlows();
    const ctx: Ctx = { flows, i18n, now: () => clock.current, timeZone: 'Asia/Jayapura', notifyMember: async () => {}, logger: { warn: () => {} } };
    const f = await flowFunnel(ctx, admin, 'laporan-risiko', { from: '2026-11-27', to: '2026-11-27' });
    expect(f.started).toBe(4);
    expect(f.finished).toEqual({ count: 1, percent: 25 });
    expect(f.running).toEqual({ count: 1, percent: 25 });
    const reached = Object.fromEntries(f.questions.map((q) => [q.id, q.count]));
    expect(reached).toMatchObject({ type: 4, date: 3, place: 2, location: 1, severity: 1, help: 1, photo: 1 });
    expect(f.questions.find((q) => q.id === 'place')).toMatchObject({ percent: 50, label: 'Tempat' });
    expect(f.stoppedAt.map((s) => [s.id, s.count, s.percent]).sort()).toEqual([['date', 1, 25], ['place', 1, 25], ['type', 1, 25]]);
    expect(f.byVillage).toEqual([{ code: SOLANG, name: 'Solang', started: 4, finished: { count: 1, percent: 25 } }]);
    expect(f.byChannel).toEqual([{ channel: 'web', started: 4, finished: { count: 1, percent: 25 } }]);

    // The date range, the channel and the caller's villages all narrow it.
    expect((await flowFunnel(ctx, admin, 'laporan-risiko', { from: '2026-11-28' })).started).toBe(0);
    expect((await flowFunnel(ctx, admin, 'laporan-risiko', { channel: 'telegram' })).started).toBe(0);
    const elsewhere: Actor = { ...admin, role: 'fasilitator', villages: ['81.05.11.2003'] };
    expect((await flowFunnel(ctx, elsewhere, 'laporan-risiko', {})).started).toBe(0);
    // Registration: four started, four finished.
    expect((await flowFunnel(ctx, admin, 'daftar', {})).finished).toEqual({ count: 4, percent: 100 });
    await expect(flowFunnel(ctx, admin, 'tidak-ada', {})).rejects.toThrow('No such flow.');
  }, 60_000);
});
