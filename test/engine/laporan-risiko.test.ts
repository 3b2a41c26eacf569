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
    expect(chat.text).toContain('Contoh: 17-09-2024');
    chat.answer('date', '17/9/24');
    chat.answer('place', 'Dusun Air Kecil');
    expect(chat.message.expect).toBe('location');
    expect(chat.message.choices).toEqual([{ id: '__skip', label: 'Lewati' }]);
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
    expect(chat.text).toContain('Lokasi: -3.90000, 130.80000');
    expect(chat.text).toContain('Keluarga kena: 1200');
    expect(chat.text).toContain('Usaha kena: Ikan (nelayan), Pala');
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
    expect(chat.text).toContain('laporan Anda sudah terkirim');
  });

  it('asks what happened when "lainnya", and works without GPS or camera', () => {
    const chat = new Chat(laporan);
    chat.answer('type', 'lainnya');
    expect(chat.at).toBe('type_other');
    chat.answer('type_other', 'Kebakaran hutan');
    chat.answer('date', 'kemarin');
    chat.answer('place', 'Kebun belakang kampung');
    chat.answer('location', 'Dekat sungai Waru');
    chat.answer('severity', 'Sedang');
    chat.answer('households', 'lewati');
    chat.answer('livelihoods', { kind: 'choice', promptSeq: chat.state.promptSeq, choiceId: '__skip' });
    chat.answer('help', '/lewati');
    chat.answer('photo', 'Asap tebal, pohon cengkeh terbakar');
    expect(chat.text).toContain('Keluarga kena: (dilewati)');
    chat.send('kirim');
    expect(chat.submitted).toEqual({
      type: 'lainnya',
      type_other: 'Kebakaran hutan',
      date: '2024-09-19',
      place: 'Kebun belakang kampung',
      location: { name: 'Dekat sungai Waru' },
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
    expect(chat.text).toMatch(/^Tanggal tidak dikenali\./);
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
    expect(chat.text).toMatch(/^Mohon tulis angka bulat saja/);
    chat.answer('households', 'banyak');
    expect(chat.text).toMatch(/^Mohon tulis angka bulat saja/);
    chat.answer('households', '45 KK');
    expect(chat.at).toBe('livelihoods');
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
