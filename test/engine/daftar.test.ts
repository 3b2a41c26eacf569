/** The registration flow end to end: consent, minors, villages with typos, role codes. */
import { describe, expect, it } from 'vitest';
import { Chat, context, flow } from './helpers.js';

const daftar = await flow('daftar');

function untilName(chat: Chat): void {
  chat.answer('consent', 'ya');
  chat.answer('minor', 'tidak');
}

/** Ani, a resident of Solang, at the summary. */
function untilSummary(chat: Chat): void {
  untilName(chat);
  chat.answer('name', 'Ani');
  chat.answer('kecamatan', 'Teluk Waru');
  chat.answer('village', 'Solang');
  chat.answer('role', 'warga');
}

describe('daftar', () => {
  it('explains the data use before asking consent (UU 27/2022 Pasal 21)', () => {
    const chat = new Chat(daftar);
    const [note, question] = chat.last.messages;
    expect(note!.expect).toBe('none');
    for (const words of ['Yang disimpan', 'Untuk apa', 'Siapa yang melihat', '2 tahun', 'DATASAYA', 'HAPUSDATA', 'menarik persetujuan', 'UU 27/2022']) {
      expect(note!.text).toContain(words);
    }
    expect(question!.text).toContain('Apakah Anda setuju');
    expect(question!.choices).toEqual([
      { id: 'yes', label: 'Ya' },
      { id: 'no', label: 'Tidak' },
    ]);
    expect(chat.at).toBe('consent');
  });

  it('registers a villager, matching a misspelt village name', () => {
    const chat = new Chat(daftar);
    untilName(chat);
    chat.answer('name', '  Budi Santoso ');
    chat.answer('kecamatan', 'teluk waru');
    expect(chat.text).toContain('1. Waru');
    expect(chat.text).not.toContain('Kilkoda'); // only villages of Teluk Waru
    chat.answer('village', 'Tubir Masiwang');
    chat.answer('role', '1');
    expect(chat.at).toBe('summary');
    expect(chat.text).toContain('Nama: Budi Santoso');
    expect(chat.text).toContain('Desa: Tubir Wasiwang');
    expect(chat.text).toContain('Peran: Warga desa');
    expect(chat.text).not.toContain('Kode');
    chat.press('send');
    expect(chat.submitted).toEqual({
      consent: true,
      minor: false,
      name: 'Budi Santoso',
      kecamatan: 'Teluk Waru',
      village: '81.05.15.2008',
      role: 'warga',
    });
    expect(chat.last.effects).toEqual([
      { type: 'submit', flowId: 'daftar', flowVersion: 1, answers: chat.submitted },
      { type: 'ended', outcome: 'submitted' },
    ]);
    expect(chat.text).toBe('Terima kasih, Budi Santoso! Anda sudah terdaftar di desa Tubir Wasiwang. Ketik MENU untuk mulai.');
    expect(chat.state).toMatchObject({ status: 'done', outcome: 'submitted', position: null, answers: {} });
  });

  it.each([
    ['Solan', 'Teluk Waru', '81.05.15.2004'],
    ['kota siri', 'Gorom Timur', '81.05.11.2003'],
    ['rukuruku', 'Pulau Panjang', '81.05.09.2005'],
  ])('village "%s" in %s is found', (typed, kecamatan, code) => {
    const chat = new Chat(daftar);
    untilName(chat);
    chat.answer('name', 'Ani');
    chat.answer('kecamatan', kecamatan);
    chat.answer('village', typed);
    expect(chat.at).toBe('role');
    chat.answer('role', 'warga');
    chat.press('send');
    expect(chat.submitted?.village).toBe(code);
  });

  it('refuses a village of another kecamatan or an unknown name', () => {
    const chat = new Chat(daftar);
    untilName(chat);
    chat.answer('name', 'Ani');
    chat.answer('kecamatan', 'Gorom Timur');
    chat.answer('village', 'Solang');
    expect(chat.at).toBe('village');
    expect(chat.text).toMatch(/^Pilihan itu tidak ada\./);
    chat.answer('village', 'Ambon');
    expect(chat.at).toBe('village');
  });

  it('"tidak" to consent ends the run and keeps nothing', () => {
    const chat = new Chat(daftar);
    chat.answer('consent', 'Tidak');
    expect(chat.last.effects).toEqual([{ type: 'ended', outcome: 'declined' }]);
    expect(chat.text).toContain('Tidak ada data Anda yang disimpan');
    expect(chat.text).toContain('MULAI');
    expect(chat.state).toMatchObject({ status: 'done', outcome: 'declined', answers: {}, history: [] });
  });

  it('under 17: asks for a parent or guardian, and ends without one', () => {
    const chat = new Chat(daftar);
    chat.answer('consent', 'y');
    chat.answer('minor', 'ya');
    expect(chat.text).toContain('orang tua atau wali');
    chat.answer('guardian_consent', 't');
    expect(chat.last.effects).toEqual([{ type: 'ended', outcome: 'declined' }]);
    expect(chat.text).toContain('Minta izin orang tua atau wali');
  });

  it('under 17 with a guardian agreeing: registers and records it', () => {
    const chat = new Chat(daftar);
    chat.answer('consent', 'ya');
    chat.answer('minor', 'ya');
    chat.answer('guardian_consent', 'ya');
    chat.answer('name', 'Sitti');
    chat.answer('kecamatan', '3');
    chat.answer('village', 'Waru');
    chat.answer('role', 'Warga desa');
    chat.press('send');
    expect(chat.submitted).toMatchObject({ minor: true, guardian_consent: true, village: '81.05.15.2001' });
  });

  it('pokja needs a valid code from a facilitator', () => {
    const chat = new Chat(daftar);
    untilName(chat);
    chat.answer('name', 'Yusuf');
    chat.answer('kecamatan', 'Pulau Panjang');
    chat.answer('village', 'Argam');
    chat.answer('role', 'pokja');
    expect(chat.at).toBe('role_code');
    chat.answer('role_code', 'ABC');
    expect(chat.at).toBe('role_code');
    expect(chat.text).toContain('Kode itu tidak cocok. Minta kode ke fasilitator Anda. Atau ketik KEMBALI lalu pilih Warga desa.');
    chat.answer('role_code', 'pokja-123');
    expect(chat.at).toBe('summary');
    chat.send('kirim');
    expect(chat.submitted).toMatchObject({ role: 'pokja', role_code: 'pokja-123' });
  });

  it('without a code checker no code is accepted', () => {
    const chat = new Chat(daftar, context({ checkRoleCode: undefined }));
    untilName(chat);
    chat.answer('name', 'Yusuf');
    chat.answer('kecamatan', 'Pulau Panjang');
    chat.answer('village', 'Argam');
    chat.answer('role', 'fasilitator');
    chat.answer('role_code', 'FAS-9');
    expect(chat.at).toBe('role_code');
  });

  it('village from a deep link is not asked, shown in the summary, and not changeable', () => {
    const chat = new Chat(daftar, context({ preset: { kecamatan: 'Teluk Waru', village: '81.05.15.2004' } }));
    untilName(chat);
    chat.answer('name', 'Ani');
    expect(chat.at).toBe('role');
    chat.answer('role', 'warga');
    expect(chat.text).toContain('Desa: Solang');
    chat.press('change');
    expect(chat.message.choices!.map((c) => c.id)).toEqual(['consent', 'minor', 'name', 'role']);
    chat.back();
    chat.press('send');
    expect(chat.submitted).toMatchObject({ kecamatan: 'Teluk Waru', village: '81.05.15.2004' });
  });

  it('changing the kecamatan from the summary asks the village again, then returns to the summary', () => {
    const chat = new Chat(daftar);
    untilSummary(chat);
    chat.answer('summary', 'ubah');
    chat.answer('change', 'Kecamatan');
    chat.answer('kecamatan', 'Gorom Timur');
    expect(chat.at).toBe('village'); // Solang is not in Gorom Timur
    chat.answer('village', 'Kilkoda');
    expect(chat.at).toBe('summary');
    expect(chat.text).toContain('Kecamatan: Gorom Timur');
    expect(chat.text).toContain('Desa: Kilkoda');
    chat.press('send');
    expect(chat.submitted).toMatchObject({ kecamatan: 'Gorom Timur', village: '81.05.11.2001' });
  });

  it('changing the role to pokja from the summary asks for the code', () => {
    const chat = new Chat(daftar);
    untilSummary(chat);
    chat.press('change');
    chat.press('role');
    chat.answer('role', 'pokja');
    chat.answer('role_code', 'POKJA-123');
    expect(chat.at).toBe('summary');
    chat.press('change');
    chat.press('role');
    chat.answer('role', 'warga');
    expect(chat.at).toBe('summary');
    expect(chat.text).not.toContain('Kode');
    chat.press('send');
    expect(chat.submitted).not.toHaveProperty('role_code');
  });

  it('speaks English when the member chose English', () => {
    const chat = new Chat(daftar, context({}, 'en'));
    expect(chat.last.messages[0]!.text).toContain('Before you register');
    expect(chat.text).toBe('Do you agree that your data is kept for this?\nReply YES or NO.');
    chat.answer('consent', 'yes');
    chat.answer('minor', 'no');
    chat.answer('name', 'Maria');
    chat.answer('kecamatan', 'gorom timur');
    chat.answer('village', 'Miran');
    chat.answer('role', '1');
    expect(chat.text).toContain('Please check your answers:\nAgreed: Yes\nUnder 17: No\nName: Maria');
    chat.send('send');
    expect(chat.text).toContain('Thank you, Maria!');
  });
});
