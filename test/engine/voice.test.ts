/** Voice notes as answers: the free-text questions of the risk report, the limits said in words, the review. */
import { describe, expect, it } from 'vitest';
import { parseFlow } from '../../src/engine/index.js';
import { Chat, flow } from './helpers.js';

const laporan = await flow('laporan-risiko');
const voice = (seconds?: number, bytes?: number) => ({ kind: 'audio' as const, fileId: 'AwACAgUAAxkBAAIB-voice', mediaId: 'a'.repeat(24), mimeType: 'audio/ogg', ...(seconds !== undefined ? { seconds } : {}), ...(bytes !== undefined ? { bytes } : {}) });

function atPlace(): Chat {
  const chat = new Chat(laporan);
  chat.answer('type', '2');
  chat.answer('date', 'kemarin');
  return chat;
}

describe('voice notes as answers', () => {
  it('the place may be a voice note: kept with its media id and length, reviewed as "Pesan suara 0:23 ✓"', () => {
    const chat = atPlace();
    expect(chat.text).toContain('Tidak bisa mengetik? Kirim pesan suara saja, paling lama 5 menit.');
    chat.answer('place', voice(23, 40_000));
    chat.press('__skip'); // location
    chat.answer('severity', 'ringan');
    chat.press('__skip');
    chat.press('__skip');
    chat.answer('help', voice(65));
    chat.press('__skip'); // photo
    expect(chat.at).toBe('summary');
    expect(chat.text).toContain('Pesan suara 0:23 ✓');
    expect(chat.text).toContain('Pesan suara 1:05 ✓');
    chat.press('send');
    expect(chat.submitted).toMatchObject({
      place: { kind: 'voice', fileId: 'AwACAgUAAxkBAAIB-voice', mediaId: 'a'.repeat(24), seconds: 23, mimeType: 'audio/ogg' },
      help: { kind: 'voice', seconds: 65 },
    });
    expect(chat.last.effects[0]).toMatchObject({ display: { place: 'Pesan suara 0:23 ✓', help: 'Pesan suara 1:05 ✓' } });
  });

  it('over five minutes or ten megabytes: the limit in words, and the question again', () => {
    const chat = atPlace();
    chat.answer('place', voice(301));
    expect(chat.at).toBe('place');
    expect(chat.text).toContain('Pesan suara ini 5:01 menit, terlalu panjang. Paling lama 5 menit');
    chat.answer('place', voice(100, 11 * 1024 * 1024));
    expect(chat.at).toBe('place');
    expect(chat.text).toContain('terlalu besar (paling besar 10 MB, kira-kira 5 menit)');
    chat.answer('place', 'Dusun Air Kecil');
    expect(chat.at).toBe('location');
  });

  it('a voice note where a question cannot take one: "tulis saja jawabannya", nothing lost', () => {
    const chat = new Chat(laporan);
    chat.answer('type', '2');
    chat.answer('date', voice(5));
    expect(chat.at).toBe('date');
    expect(chat.text).toContain('di pertanyaan ini pesan suara belum bisa diterima. Tulis saja jawabannya.');
    expect(chat.state.answers).toEqual({ type: 'rob' });
  });

  it('an audio question takes only a voice note, within the limits', async () => {
    const f = parseFlow('id: rekam\nversion: 1\nroles: [warga]\nquestions:\n  - { id: cerita, type: audio }\n  - { id: nama, type: text }\n', 'rekam.yaml');
    const chat = new Chat(f);
    expect(chat.text).toContain('Kirim pesan suara (tekan dan tahan tombol mikrofon), paling lama 5 menit.');
    chat.send('halo');
    expect(chat.text).toContain('Mohon kirim pesan suara');
    chat.send(voice(2000, 100));
    expect(chat.text).toContain('terlalu panjang');
    chat.send(voice());
    expect(chat.at).toBe('nama');
    chat.send('Ani');
    expect(chat.text).toContain('Pesan suara ✓');
  });
});
