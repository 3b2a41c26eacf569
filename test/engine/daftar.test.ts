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
  it('greets, says what Suara Desa is and who runs it, and gives a short notice before consent (UU 27/2022 Pasal 21)', () => {
    const chat = new Chat(daftar);
    const [note, question] = chat.last.messages;
    expect(note!.expect).toBe('none');
    expect(note!.text).toMatch(/^Halo, selamat datang di Suara Desa!/);
    for (const words of ['program BangKIT', 'Yayasan BaKTI', 'rencana penghidupan desa']) expect(note!.text.split('\n\n')[0]).toContain(words);
    // Short: purpose, data, retention, who sees it, rights, basis; the full text one command away.
    for (const words of ['Kami menyimpan nama, desa, peran dan jawaban', '2 tahun', 'fasilitator program', 'DATASAYA', 'HAPUSDATA', 'tarik persetujuan', 'UU 27/2022', 'Teks lengkap: ketik PRIVASI']) {
      expect(note!.text).toContain(words);
    }
    // At most 50 words in either language, so the question is seen on a small screen.
    expect(note!.text.split(/\s+/).length).toBeLessThanOrEqual(50);
    expect(context({}, 'en').t('daftar:privacy.prompt').split(/\s+/).length).toBeLessThanOrEqual(50);
    // The full notice for PRIVASI: the flow names its key, both languages have it.
    expect(daftar.privacy).toBe('consent.full');
    for (const lang of ['id', 'en'] as const) {
      const full = context({}, lang).t(`daftar:${daftar.privacy}`);
      for (const words of ['BangKIT', 'BaKTI', 'UU 27/2022'.replace('UU', lang === 'id' ? 'UU' : 'Law'), 'DATASAYA', 'HAPUSDATA']) expect(full).toContain(words);
      // What the short notice leaves to the full text.
      if (lang === 'id') for (const words of ['umur di bawah 17', 'Laporan risiko yang sudah dikirim tetap disimpan sebagai data desa, tanpa nama Anda']) expect(full).toContain(words);
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
      {
        type: 'submit',
        flowId: 'daftar',
        flowVersion: 1,
        answers: chat.submitted,
        // What the person saw, for a facilitator reading the submission without joins.
        display: { consent: 'Ya', minor: 'Tidak', name: 'Budi Santoso', kecamatan: 'Teluk Waru', village: 'Tubir Wasiwang', role: 'Warga desa' },
      },
      { type: 'ended', outcome: 'submitted' },
    ]);
    expect(chat.text).toBe('Terima kasih, Budi Santoso! Pendaftaran Anda sudah tersimpan.');
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

  it('a village of another kecamatan: says where it is and how to change the kecamatan', () => {
    const chat = new Chat(daftar);
    untilName(chat);
    chat.answer('name', 'Ani');
    chat.answer('kecamatan', 'Gorom Timur');
    chat.answer('village', 'Solang');
    expect(chat.at).toBe('village');
    expect(chat.text).toMatch(/^"Solang" tidak ada di daftar desa kecamatan ini\./);
    expect(chat.text).toContain('Teluk Waru, Gorom Timur dan Pulau Panjang (Kabupaten Seram Bagian Timur)');
    expect(chat.text).toContain('Yang mirip: Solang (Teluk Waru)');
    expect(chat.text).toContain('Ketik KEMBALI untuk ganti kecamatan');
    chat.back();
    chat.answer('kecamatan', 'Teluk Waru');
    chat.answer('village', 'Solang');
    expect(chat.at).toBe('role');
  });

  it('"Kilmuri" typed in Gorom Timur: the closest names of every kecamatan, then "desa lain" with the name', () => {
    const chat = new Chat(daftar);
    untilName(chat);
    chat.answer('name', 'Ani');
    chat.answer('kecamatan', 'Gorom Timur');
    const list = chat.message.choices!;
    expect(list.at(-1)).toEqual({ id: '__other__', label: 'Desa lain (tidak ada di daftar)' });
    expect(chat.text).toContain(`${list.length}. Desa lain (tidak ada di daftar)`);
    chat.answer('village', 'Kilmuri');
    expect(chat.at).toBe('village'); // no loop on "Pilihan itu tidak ada"
    expect(chat.text).not.toContain('Pilihan itu tidak ada');
    expect(chat.text).toContain(`Balas ${list.length} (Desa lain)`);
    expect(chat.text).toMatch(/Yang mirip: .*Kiltufa \(Gorom Timur\)/);
    chat.answer('village', String(list.length));
    expect(chat.at).toBe('village_other');
    chat.answer('village_other', 'Kilmuri, Kecamatan Kilmury');
    chat.answer('role', 'warga');
    expect(chat.text).toContain('Desa: Desa lain (tidak ada di daftar)\nNama desa: Kilmuri, Kecamatan Kilmury');
    chat.press('send');
    expect(chat.submitted).toMatchObject({ kecamatan: 'Gorom Timur', village: '__other__', village_other: 'Kilmuri, Kecamatan Kilmury' });
  });

  it('a kecamatan outside the list: says which area is covered, and registers with the village typed', () => {
    const chat = new Chat(daftar);
    untilName(chat);
    chat.answer('name', 'Ani');
    expect(chat.message.choices!.map((c) => c.id)).toEqual(['Pulau Panjang', 'Gorom Timur', 'Teluk Waru', '__other__']);
    chat.answer('kecamatan', 'Kilmuri');
    expect(chat.at).toBe('kecamatan');
    expect(chat.text).toMatch(/^"Kilmuri" tidak ada di daftar\. Suara Desa sekarang untuk desa-desa di Kecamatan Teluk Waru, Gorom Timur dan Pulau Panjang \(Kabupaten Seram Bagian Timur\)\. Kalau kecamatan Anda lain, balas 4 \(Kecamatan lain\)\./);
    chat.answer('kecamatan', '4');
    // No list to pick from: straight to the village's name.
    expect(chat.at).toBe('village_other');
    chat.answer('village_other', 'Kilmuri');
    chat.answer('role', 'warga');
    chat.press('send');
    expect(chat.submitted).toMatchObject({ kecamatan: '__other__', village: '__other__', village_other: 'Kilmuri' });
  });

  it('a kecamatan changed from "lain" to one on the list asks the village from the list', () => {
    const chat = new Chat(daftar);
    untilName(chat);
    chat.answer('name', 'Ani');
    chat.answer('kecamatan', '4');
    chat.answer('village_other', 'Kilmuri');
    chat.answer('role', 'warga');
    chat.press('change');
    chat.answer('change', 'Kecamatan');
    chat.answer('kecamatan', 'Teluk Waru');
    expect(chat.at).toBe('village');
    chat.answer('village', 'Solang');
    expect(chat.at).toBe('summary');
    expect(chat.text).not.toContain('Kilmuri');
    chat.press('send');
    expect(chat.submitted).toEqual({ consent: true, minor: false, name: 'Ani', kecamatan: 'Teluk Waru', village: '81.05.15.2004', role: 'warga' });
  });

  it('a name has letters and is not a yes/no word; emoji inside a name are fine', () => {
    const chat = new Chat(daftar);
    untilName(chat);
    chat.answer('name', '🙂');
    expect(chat.at).toBe('name');
    expect(chat.text).toMatch(/^"🙂" sepertinya bukan nama\. Mohon tulis nama Anda dengan huruf/);
    chat.answer('name', 'tidak');
    expect(chat.at).toBe('name');
    expect(chat.text).toMatch(/^"tidak" sepertinya bukan nama/);
    chat.answer('name', '12345');
    expect(chat.at).toBe('name');
    chat.answer('name', 'Ani 🙂');
    expect(chat.at).toBe('kecamatan');
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
    // The code is never shown back, nor kept: only which code granted the role.
    expect(chat.text).toContain('Kode: (kode cocok)');
    expect(chat.text).not.toMatch(/pokja-123/i);
    expect(JSON.stringify(chat.state)).not.toMatch(/pokja-123/i);
    chat.send('kirim');
    expect(chat.submitted).toMatchObject({ role: 'pokja', roleCodeId: 'code-pokja' });
    expect(chat.submitted).not.toHaveProperty('role_code');
    expect(JSON.stringify(chat.last.effects)).not.toMatch(/pokja-123/i);
  });

  it('a code refused is not echoed, and changing the role asks for a code again', () => {
    const chat = new Chat(daftar);
    untilSummary(chat);
    chat.press('change');
    chat.press('role');
    chat.answer('role', 'pokja');
    chat.answer('role_code', 'SECRET-77');
    expect(chat.text).not.toContain('SECRET-77');
    chat.answer('role_code', 'POKJA-123');
    expect(chat.at).toBe('summary');
    // A pokja code does not make a facilitator: the code is asked again for the new role.
    chat.press('change');
    chat.press('role');
    chat.answer('role', 'fasilitator');
    expect(chat.at).toBe('role_code');
    chat.answer('role_code', 'POKJA-123');
    expect(chat.at).toBe('role_code');
    chat.answer('role_code', 'FAS-9');
    chat.press('send');
    expect(chat.submitted).toMatchObject({ role: 'fasilitator', roleCodeId: 'code-fas' });
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
    expect(chat.submitted).not.toHaveProperty('roleCodeId');
  });

  it('speaks English when the member chose English', () => {
    const chat = new Chat(daftar, context({}, 'en'));
    expect(chat.last.messages[0]!.text).toContain('We keep your name, village, role and answers');
    expect(chat.text).toBe('Do you agree that your data is kept for this?\nReply YES or NO.\nAt any question: type BACK for the previous one, or CANCEL to stop.');
    chat.answer('consent', 'yes');
    chat.answer('minor', 'no');
    chat.answer('name', 'Maria');
    chat.answer('kecamatan', 'gorom timur');
    chat.answer('village', 'Miran');
    chat.answer('role', '1');
    expect(chat.text).toContain('Please check your answers:\nAgreed: Yes\nUnder 17: No\nName: Maria');
    chat.send('send');
    expect(chat.text).toContain('Thank you, Maria!');
    expect(chat.last.effects[0]).toMatchObject({ display: { consent: 'Yes', village: 'Miran', role: 'Villager' } });
  });
});
