/** Risk reports: choices with a follow-up, dates, places, optional location and photo. */
import { describe, expect, it } from 'vitest';
import { Chat, flow } from './helpers.js';

const laporan = await flow('laporan-risiko');

describe('laporan-risiko', () => {
  it('reports a flood with a shared location and a photo', () => {
    const chat = new Chat(laporan);
    expect(chat.text).toContain('Apa yang terjadi?\n1. Banjir atau banjir bandang');
    expect(chat.text).toContain('12. Lainnya');
    chat.answer('type', '1');
    expect(chat.at).toBe('date'); // no follow-up unless "lainnya"
    // The example is a real recent date (three days before "today", 2024-09-20), not a fixed one.
    expect(chat.text).toContain('Contoh: 17-09-2024. Bisa juga ketik HARI INI atau KEMARIN.');
    chat.answer('date', '17/9/24');
    chat.answer('place', 'Dusun Air Kecil');
    expect(chat.message.expect).toBe('location');
    expect(chat.message.choices).toEqual([{ id: '__skip', label: 'Lewati' }]);
    // Only a shared location is asked here (the place's name was the question before), and how to send one.
    expect(chat.text).toBe('Kalau Anda ada di tempat itu, kirim lokasinya.\nTekan tombol 📍 Kirim lokasi.\nKetik LEWATI kalau tidak tahu atau tidak ada.');
    chat.answer('location', { kind: 'location', latitude: -3.9, longitude: 130.8 });
    chat.answer('severity', 'berat');
    chat.answer('households', '1.200');
    chat.answer('livelihoods', '1,3');
    chat.answer('help', 'Air bersih dan beras');
    expect(chat.message.expect).toBe('photo');
    chat.answer('photo', { kind: 'photo', fileId: 'AgAD-123', caption: 'jalan putus' });
    expect(chat.at).toBe('summary');
    expect(chat.text).toContain('Kejadian: Banjir atau banjir bandang');
    expect(chat.text).toContain('Tanggal: 17 September 2024');
    expect(chat.text).toContain('Lokasi: terkirim ✓'); // not raw coordinates
    expect(chat.text).not.toMatch(/-3\.9/);
    expect(chat.text).toContain('Tingkat kerusakan: Berat / parah');
    expect(chat.text).toContain('KK terdampak: 1200');
    expect(chat.text).toContain('Usaha terdampak: Ikan (nelayan), Pala');
    expect(chat.text).toContain('Foto: Foto terkirim: jalan putus');
    chat.press('send');
    expect(chat.submitted).toEqual({
      type: 'banjir',
      date: '2024-09-17',
      place: 'Dusun Air Kecil',
      location: { latitude: -3.9, longitude: 130.8 },
      severity: 'berat',
      households: 1200,
      livelihoods: ['perikanan', 'pala'],
      help: 'Air bersih dan beras',
      photo: { fileId: 'AgAD-123', caption: 'jalan putus' },
    });
    expect(chat.text).toContain('laporan Anda sudah tersimpan dan akan diperiksa fasilitator');
    expect(chat.last.effects[0]).toMatchObject({
      display: {
        type: 'Banjir atau banjir bandang',
        date: '17 September 2024',
        location: 'terkirim ✓', // what the review showed; the coordinates are the answer
        severity: 'Berat / parah (rumah, kebun atau perahu rusak berat, ada yang mengungsi)',
        households: '1200',
        livelihoods: 'Ikan (nelayan), Pala',
      },
    });
  });

  it('asks what happened when "lainnya", and works without GPS or camera', () => {
    const chat = new Chat(laporan);
    chat.answer('type', 'lainnya');
    expect(chat.at).toBe('type_other');
    chat.answer('type_other', 'Kebakaran hutan');
    chat.answer('date', 'kemarin');
    chat.answer('place', 'Kebun belakang kampung');
    // A typed place at the location question: the place was asked already; say how to share, or skip.
    chat.answer('location', 'Dekat sungai Waru');
    expect(chat.at).toBe('location');
    expect(chat.text).toMatch(/^Mohon tekan tombol 📍 Kirim lokasi\. Kalau tidak bisa, ketik LEWATI\./);
    chat.answer('location', 'lewati');
    chat.answer('severity', 'Sedang');
    chat.answer('households', 'lewati');
    chat.answer('livelihoods', { kind: 'choice', promptSeq: chat.state.promptSeq, choiceId: '__skip' });
    chat.answer('help', '/lewati');
    chat.answer('photo', 'Asap tebal, pohon cengkeh terbakar');
    expect(chat.text).toContain('KK terdampak: (dilewati)');
    chat.send('kirim');
    expect(chat.submitted).toEqual({
      type: 'lainnya',
      type_other: 'Kebakaran hutan',
      date: '2024-09-19',
      place: 'Kebun belakang kampung',
      location: null,
      severity: 'sedang',
      households: null,
      livelihoods: null,
      help: null,
      photo: { description: 'Asap tebal, pohon cengkeh terbakar' },
    });
  });

  it('refuses a date in the future and odd dates, accepts Indonesian forms', () => {
    const chat = new Chat(laporan);
    chat.answer('type', 'longsor');
    chat.answer('date', '25-09-2024');
    expect(chat.text).toMatch(/^Tanggal itu belum terjadi\./);
    chat.answer('date', '31-02-2024');
    expect(chat.text).toMatch(/^Tanggal itu tidak ada\. Mohon periksa tanggal dan bulannya\. Contoh: 17-09-2024\./);
    chat.answer('date', 'besok');
    expect(chat.text).toMatch(/^Tanggal itu belum terjadi\./);
    chat.answer('date', 'kapan ya');
    expect(chat.text).toMatch(/^Tanggal tidak dikenali\. Contoh: 17-09-2024 atau 17 September 2024\./);
    chat.answer('date', '17 sept 2024');
    expect(chat.at).toBe('place');
    chat.back();
    chat.answer('date', 'hari ini');
    chat.back();
    chat.answer('date', '1 Agustus');
    chat.answer('place', 'Waru');
    chat.answer('location', 'lewati');
    chat.answer('severity', 'ringan');
    chat.answer('households', '0');
    chat.answer('livelihoods', 'lewati');
    chat.answer('help', 'lewati');
    chat.answer('photo', 'lewati');
    chat.send('kirim');
    expect(chat.submitted).toMatchObject({ date: '2024-08-01', location: null, households: 0, photo: null });
  });

  it('keeps households within 0-5000 and whole', () => {
    const chat = new Chat(laporan);
    chat.answer('type', 'kekeringan');
    chat.answer('date', 'hari ini');
    chat.answer('place', 'Solang');
    chat.answer('location', 'lewati');
    chat.answer('severity', 'ringan');
    expect(chat.text).toContain('Tulis angka 0 sampai 5000.');
    chat.answer('households', '6.000');
    expect(chat.text).toMatch(/^Angka terlalu besar\. Paling besar 5000\./);
    chat.answer('households', '2,5');
    expect(chat.text).toMatch(/^2,5 bukan angka bulat\. Mohon tulis angka tanpa koma, contoh: 3/);
    chat.answer('households', 'banyak');
    expect(chat.text).toMatch(/^Tulis angkanya saja, contoh: 25\. Tidak tahu\? Ketik LEWATI\.\n/); // not a word about commas
    chat.answer('households', '45 KK');
    expect(chat.at).toBe('livelihoods');
  });

  it('understands estimates and numbers in words', () => {
    for (const [typed, n] of [['sekitar 20', 20], ['± 20', 20], ['20an', 20], ['kurang lebih 20', 20], ['dua', 2], ['dua puluh lima', 25], ['seratus', 100], ['kira-kira 30 KK', 30]] as const) {
      const chat = new Chat(laporan);
      for (const [id, v] of [['type', 'banjir'], ['date', 'hari ini'], ['place', 'Waru'], ['location', 'lewati'], ['severity', 'ringan']] as const) chat.answer(id, v);
      chat.answer('households', typed);
      expect(chat.at, typed).toBe('livelihoods');
      for (const [id, v] of [['livelihoods', 'lewati'], ['help', 'lewati'], ['photo', 'lewati']] as const) chat.answer(id, v);
      chat.press('send');
      expect(chat.submitted?.households, typed).toBe(n);
    }
  });

  it('takes several livelihoods as people list them; a choice named twice counts once; words for choices', () => {
    for (const [typed, ids] of [
      ['1 2 dan 5', ['perikanan', 'cengkeh', 'kacang']],
      ['1, 2 & 5', ['perikanan', 'cengkeh', 'kacang']],
      ['satu dan tiga', ['perikanan', 'pala']],
      ['pala, 3, pala', ['pala']],
    ] as const) {
      const chat = new Chat(laporan);
      for (const [id, v] of [['type', 'banjir'], ['date', 'hari ini'], ['place', 'Waru'], ['location', 'lewati'], ['severity', 'ringan'], ['households', '5']] as const) chat.answer(id, v);
      chat.answer('livelihoods', typed);
      expect(chat.at, typed).toBe('help');
      for (const [id, v] of [['help', 'lewati'], ['photo', 'lewati']] as const) chat.answer(id, v);
      chat.press('send');
      expect(chat.submitted?.livelihoods, typed).toEqual(ids);
    }
    // A single choice typed as its word: "dua" is the second, "sedang" and "parah" name one.
    for (const [typed, id] of [['dua', 'sedang'], ['sedang', 'sedang'], ['parah', 'berat']] as const) {
      const chat = new Chat(laporan);
      for (const [q, v] of [['type', 'banjir'], ['date', 'hari ini'], ['place', 'Waru'], ['location', 'lewati']] as const) chat.answer(q, v);
      chat.answer('severity', typed);
      expect(chat.at, typed).toBe('households');
      chat.back();
      expect(chat.state.answers.severity, typed).toBe(id);
    }
  });

  it('a photo question takes a photo, a description, or a skip; not a location', () => {
    const chat = new Chat(laporan);
    for (const [id, input] of [['type', 'gempa'], ['date', 'hari ini'], ['place', 'Bula'], ['location', 'lewati'], ['severity', '1'], ['households', 'lewati'], ['livelihoods', 'lewati'], ['help', 'lewati']] as const) {
      chat.answer(id, input);
    }
    chat.answer('photo', { kind: 'location', latitude: 1, longitude: 2 });
    expect(chat.text).toMatch(/^Mohon kirim foto, atau ketik keterangan singkat\./);
    chat.answer('photo', 'x'.repeat(301));
    expect(chat.text).toMatch(/^Jawaban terlalu panjang \(301 huruf\)\. Paling banyak 300 huruf\./);
    chat.answer('photo', { kind: 'photo', fileId: 'F1' });
    expect(chat.at).toBe('summary');
  });
});
