/**
 * Issue 18, point 9, the words a person reads: one instruction per prompt, errors that fit the
 * answer, words people type understood, workshop dates that look ahead. Real flows, real locales.
 */
import { describe, expect, it } from 'vitest';
import { matchChoice } from '../../src/engine/index.js';
import { Chat, context, flow } from './helpers.js';

const daftar = await flow('daftar');
const laporan = await flow('laporan-risiko');
const kemajuan = await flow('kemajuan-kegiatan');
const profil = await flow('profil-desa');
const jadwal = await flow('jadwal');
const siaran = await flow('siaran');

const count = (text: string, word: RegExp) => text.match(new RegExp(word, 'g'))?.length ?? 0;

describe('one instruction per prompt', () => {
  it('the kecamatan and village lists say how to answer once', () => {
    const chat = new Chat(daftar);
    chat.answer('consent', 'ya');
    chat.answer('minor', 'tidak');
    chat.answer('name', 'Ani');
    for (const id of ['kecamatan', 'village']) {
      expect(chat.at).toBe(id);
      expect(count(chat.text, /\bBalas\b/i)).toBe(1);
      expect(chat.text).toContain('Balas dengan nomor pilihan.');
      chat.answer(id, id === 'kecamatan' ? 'Teluk Waru' : 'Solang');
    }
  });

  it('a text limit is said only when an answer exceeds it', () => {
    const chat = new Chat(siaran, context({ data: { villages: [{ code: 'x', name: 'Solang', kecamatan: 'Teluk Waru', aliases: [] }], activities: [] } }));
    chat.answer('target', 'semua');
    expect(chat.at).toBe('message');
    expect(chat.text).not.toContain('Paling banyak');
    chat.answer('message', 'a'.repeat(1001));
    expect(chat.text).toContain('Paling banyak 1000 huruf');
    expect(chat.at).toBe('message');
  });
});

describe('the error fits the answer', () => {
  // "banyak" at an optional number: laporan-risiko.test.ts (households).
  it('at a required number the error offers no LEWATI', () => {
    const chat = new Chat(kemajuan);
    chat.answer('activity', '1');
    chat.answer('status', 'berjalan');
    chat.answer('percent', 'lumayan');
    expect(chat.text.split('\n')[0]).toBe('Tulis angkanya saja, contoh: 25.');
  });
});

describe('words people type', () => {
  it('"tadi pagi" is today', () => {
    const chat = new Chat(laporan);
    chat.answer('type', '1');
    chat.answer('date', 'tadi pagi');
    expect(chat.at).toBe('place');
    expect(chat.state.answers.date).toBe('2024-09-20');
  });

  it('"sedang jalan" is "Sedang berjalan", and "setengah" at a percentage is 50', () => {
    const chat = new Chat(kemajuan);
    chat.answer('activity', '1');
    chat.answer('status', 'sedang jalan');
    expect(chat.state.answers.status).toBe('berjalan');
    chat.answer('percent', 'setengah');
    expect(chat.state.answers.percent).toBe(50);
  });

  it('"ke pengumpul" picks "Pedagang pengumpul di desa" though another label starts with "Ke"', () => {
    const buyer = profil.questions.find((q) => q.id === 'buyer');
    if (buyer?.type !== 'single') throw new Error('profil-desa has no single question "buyer"');
    const t = context().t;
    const items = buyer.choices!.map((c) => ({ id: c.id, label: t(`profil-desa:${c.label}`), data: {} }));
    expect(items.map((i) => i.label)).toContain('Ke kota (Bula, Ambon)');
    expect(matchChoice('ke pengumpul', items)?.id).toBe('pengumpul_desa');
    expect(matchChoice('ke kota', items)?.id).toBe('kota');
  });
});

describe('workshop dates look ahead', () => {
  it('offer HARI INI or BESOK, not KEMARIN, with an example ahead; a past date is refused', () => {
    const chat = new Chat(jadwal, context({ data: { villages: [{ code: 'x', name: 'Solang', kecamatan: 'Teluk Waru', aliases: [] }], activities: [] } }));
    chat.answer('acara', 'Lokakarya');
    chat.answer('scope', 'kecamatan');
    chat.answer('kecamatan', '1');
    expect(chat.at).toBe('start_date');
    expect(chat.text).not.toContain('KEMARIN');
    expect(chat.text).toContain('Contoh: 30-09-2024. Bisa juga ketik HARI INI atau BESOK.');
    chat.answer('start_date', 'kemarin');
    expect(chat.text.split('\n')[0]).toBe('Tanggal itu sudah lewat. Mohon tulis tanggal hari ini atau sesudahnya.');
    chat.answer('start_date', 'besok');
    expect(chat.state.answers.start_date).toBe('2024-09-21');
  });
});
