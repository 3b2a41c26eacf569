/** Activity progress: activities from the village plan, status-driven skip logic. */
import { describe, expect, it } from 'vitest';
import { Chat, context, flow } from './helpers.js';

const kemajuan = await flow('kemajuan-kegiatan');

describe('kemajuan-kegiatan', () => {
  it('is for the working group and facilitators only', () => {
    expect(kemajuan.roles).not.toContain('warga');
  });

  it('reports an activity under way', () => {
    const chat = new Chat(kemajuan);
    expect(chat.text).toContain('1. Pelatihan pengolahan pala\n2. Perbaikan dermaga');
    expect(chat.message.choices![1]).toEqual({ id: 'act-2', label: 'Perbaikan dermaga' });
    chat.press('act-2');
    chat.answer('status', 'berjalan');
    chat.answer('percent', '100');
    expect(chat.text).toMatch(/^Kalau sudah 100 persen, berarti selesai\./);
    chat.answer('percent', '60%');
    expect(chat.at).toBe('next_step'); // obstacles only when stuck
    chat.answer('next_step', 'Beli semen di Bula');
    chat.answer('photo', 'lewati');
    chat.press('send');
    expect(chat.submitted).toEqual({ activity: 'act-2', status: 'berjalan', percent: 60, next_step: 'Beli semen di Bula', photo: null });
  });

  it('a stuck activity asks for the obstacle', () => {
    const chat = new Chat(kemajuan);
    chat.answer('activity', 'pengolahan pala');
    chat.answer('status', 'terhambat');
    chat.answer('percent', '30');
    chat.answer('obstacles', 'Kapal tidak datang, alat belum sampai');
    chat.answer('next_step', 'Tunggu kapal minggu depan');
    chat.answer('photo', { kind: 'photo', fileId: 'P9' });
    chat.send('1');
    expect(chat.submitted).toMatchObject({ activity: 'act-1', status: 'terhambat', percent: 30, obstacles: 'Kapal tidak datang, alat belum sampai' });
  });

  it('a finished activity skips percent, obstacles and next step; changing the status drops them', () => {
    const chat = new Chat(kemajuan);
    chat.answer('activity', '3');
    chat.answer('status', 'terhambat');
    chat.answer('percent', '50');
    chat.answer('obstacles', 'Dana belum cair');
    chat.back();
    chat.back();
    chat.back();
    expect(chat.at).toBe('status');
    chat.answer('status', 'selesai');
    expect(chat.at).toBe('photo');
    chat.answer('photo', 'lewati');
    expect(chat.text).not.toContain('Persen');
    chat.press('send');
    expect(chat.submitted).toEqual({ activity: 'act-3', status: 'selesai', photo: null });
  });

  it('without activities in the plan the run ends and says why', () => {
    const ctx = context();
    const chat = new Chat(kemajuan, { ...ctx, data: { ...ctx.data, activities: [] } });
    expect(chat.state.status).toBe('done');
    expect(chat.last.effects).toEqual([{ type: 'ended', outcome: 'cancelled' }]);
    expect(chat.text).toContain('Belum ada pilihan');
  });
});
