/** Activity progress: activities from the village plan, status-driven skip logic. */
import { describe, expect, it } from 'vitest';
import { Chat, context, flow } from './helpers.js';

const kemajuan = await flow('kemajuan-kegiatan');

/** A stuck activity reported up to the summary. */
function stuckAtSummary(): Chat {
  const chat = new Chat(kemajuan);
  chat.answer('activity', '1');
  chat.answer('status', 'terhambat');
  chat.answer('percent', '40');
  chat.answer('obstacles', 'Mesin rusak');
  chat.answer('next_step', 'Perbaiki mesin');
  chat.answer('photo', 'lewati');
  return chat;
}

describe('kemajuan-kegiatan', () => {
  it('is for the working group and facilitators only', () => {
    expect(kemajuan.roles).not.toContain('warga');
  });

  it('reports an activity under way', () => {
    const chat = new Chat(kemajuan);
    expect(chat.text).toContain('1. Pelatihan pengolahan pala\n2. Perbaikan dermaga\n3. Kelompok simpan pinjam perempuan\n4. Kegiatan lain / belum ada di daftar');
    expect(chat.message.choices![1]).toEqual({ id: 'act-2', label: 'Perbaikan dermaga' });
    chat.press('act-2');
    chat.answer('status', 'berjalan');
    // The hint says 0 to 100, and 100 is taken.
    expect(chat.text).toContain('Tulis angka 0 sampai 100.');
    chat.answer('percent', '100');
    expect(chat.at).toBe('next_step');
    chat.back();
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

  it('changing the status from the summary keeps the follow-up answers until they apply again (Terhambat -> Selesai -> Terhambat)', () => {
    const chat = stuckAtSummary();
    expect(chat.at).toBe('summary');
    chat.press('change');
    chat.answer('change', 'Keadaan');
    chat.answer('status', 'selesai');
    expect(chat.at).toBe('summary');
    expect(chat.text).not.toContain('Hambatan');
    chat.press('change');
    chat.answer('change', 'Keadaan');
    chat.answer('status', 'terhambat');
    // Nothing to type again: the earlier answers are back.
    expect(chat.at).toBe('summary');
    expect(chat.text).toContain('Persen jadi: 40\nHambatan: Mesin rusak\nLangkah berikut: Perbaiki mesin');
    chat.press('send');
    expect(chat.submitted).toEqual({ activity: 'act-1', status: 'terhambat', percent: 40, obstacles: 'Mesin rusak', next_step: 'Perbaiki mesin', photo: null });
  });

  it('answers that no longer apply at submission are not submitted', () => {
    const chat = stuckAtSummary();
    chat.press('change');
    chat.answer('change', 'Keadaan');
    chat.answer('status', 'selesai');
    chat.press('send');
    expect(chat.submitted).toEqual({ activity: 'act-1', status: 'selesai', photo: null });
    expect(chat.last.effects[0]).toMatchObject({ display: { activity: 'Pelatihan pengolahan pala', status: 'Selesai', photo: '(dilewati)' } });
    expect(Object.keys((chat.last.effects[0] as { display: object }).display)).toEqual(['activity', 'status', 'photo']);
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

  it('without activities in the plan the person names the activity, and the report says it is not from the plan', () => {
    const ctx = context();
    const chat = new Chat(kemajuan, { ...ctx, data: { ...ctx.data, activities: [] } });
    expect(chat.state.status).toBe('active');
    expect(chat.at).toBe('activity_other');
    expect(chat.text).not.toContain('Belum ada pilihan');
    expect(chat.text).toContain('Tulis nama kegiatan yang mau dilaporkan');
    chat.answer('activity_other', 'Pembuatan pagar kebun');
    // Nothing to go back to: the activity was not a question here.
    chat.back();
    expect(chat.at).toBe('activity_other');
    chat.answer('activity_other', 'Pembuatan pagar kebun');
    chat.answer('status', 'selesai');
    chat.answer('photo', 'lewati');
    expect(chat.text).toContain('Nama kegiatan: Pembuatan pagar kebun');
    chat.press('send');
    expect(chat.submitted).toEqual({ activity: '__other__', activity_other: 'Pembuatan pagar kebun', status: 'selesai', photo: null });
  });

  it('an activity not in the list is named in the person\'s own words', () => {
    const chat = new Chat(kemajuan);
    chat.answer('activity', '4');
    expect(chat.at).toBe('activity_other');
    chat.answer('activity_other', 'Tanam mangrove');
    chat.answer('status', 'belum');
    chat.answer('next_step', 'Cari bibit');
    chat.answer('photo', 'lewati');
    chat.press('send');
    expect(chat.submitted).toMatchObject({ activity: '__other__', activity_other: 'Tanam mangrove' });
    expect(chat.last.effects[0]).toMatchObject({ display: { activity: 'Kegiatan lain / belum ada di daftar', activity_other: 'Tanam mangrove' } });
  });
});
