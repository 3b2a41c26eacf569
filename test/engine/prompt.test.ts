/**
 * What a channel gets beside the text: the question as structure (WhatsApp next), the ways out
 * said on every flow's first question, reasons for skipping, and what a submission shows.
 */
import { describe, expect, it } from 'vitest';
import { DONE_ID, SKIP_ID, SKIP_NONE_ID, SKIP_UNKNOWN_ID } from '../../src/engine/index.js';
import { Chat, context, flow, shippedFlows } from './helpers.js';

const profil = await flow('profil-desa');
const laporan = await flow('laporan-risiko');
const daftar = await flow('daftar');

const PLAN_FLOWS = ['daftar', 'profil-desa', 'laporan-risiko', 'kemajuan-kegiatan'];

describe('the ways out on the first question', () => {
  it.each(PLAN_FLOWS)('%s says KEMBALI and BATAL on its first question, and only there', async (id) => {
    const f = (await shippedFlows()).get(id)!;
    const chat = new Chat(f);
    expect(chat.text).toContain('KEMBALI');
    expect(chat.text).toContain('BATAL');
    expect(chat.message.prompt?.hint).toContain('KEMBALI');
    expect(chat.message.prompt?.waysOut).toMatchObject({ cancel: true, back: false });
  });

  it('the second question does not repeat them', () => {
    const chat = new Chat(laporan);
    chat.answer('type', '1');
    expect(chat.text).not.toContain('BATAL');
    expect(chat.message.prompt?.waysOut).toEqual({ back: true, cancel: true, skip: false });
  });

  it('an optional first question also says LEWATI', () => {
    const chat = new Chat(profil);
    expect(chat.at).toBe('households');
    expect(chat.text).toContain('Ketik LEWATI');
    expect(chat.message.prompt?.waysOut).toEqual({ back: false, cancel: true, skip: true });
  });
});

describe('the prompt as structure', () => {
  it('keeps the text and describes a single choice: question, hint, choices with a village\'s kecamatan', () => {
    const chat = new Chat(daftar);
    chat.answer('consent', 'ya');
    chat.answer('minor', 'tidak');
    chat.answer('name', 'Ani');
    chat.answer('kecamatan', 'Teluk Waru');
    const m = chat.message;
    expect(m.prompt).toMatchObject({
      question: 'Apa nama desa Anda?',
      hint: 'Balas dengan nomor pilihan.',
      expect: 'choice',
      waysOut: { back: true, cancel: true, skip: false },
    });
    expect(m.prompt!.choices![0]).toEqual({ id: '81.05.15.2001', label: 'Waru', description: 'Teluk Waru' });
    expect(m.prompt!.choices!.at(-1)).toEqual({ id: '__other__', label: 'Desa lain (tidak ada di daftar)' });
    // The text is what Telegram shows, unchanged by the structure.
    expect(m.text.startsWith(`${m.prompt!.question}\n1. Waru\n`)).toBe(true);
    expect(m.text).not.toContain('undefined');
  });

  it('an error goes first as the lead', () => {
    const chat = new Chat(laporan);
    chat.answer('type', '99');
    expect(chat.message.prompt?.lead).toBe('Pilihan itu tidak ada. Mohon balas dengan nomor pilihan.');
    expect(chat.message.prompt?.question).toBe('Apa yang terjadi?');
  });

  it('a multiple choice says what is selected, its limits, and the done and skip ids', () => {
    const chat = new Chat(laporan);
    for (const [id, v] of [['type', '1'], ['date', 'hari ini'], ['place', 'Waru'], ['location', 'lewati'], ['severity', '1'], ['households', '3']] as const) chat.answer(id, v);
    chat.press('pala');
    const p = chat.message.prompt!;
    expect(p.multiple).toEqual({ selected: ['pala'], min: 1 });
    expect(p.choices!.map((c) => c.id).slice(-2)).toEqual([DONE_ID, SKIP_ID]);
    expect(p.hint).toContain('Sudah dipilih: Pala');
    expect(p.hint).not.toContain('1. Ikan');
    expect(p.waysOut.skip).toBe(true);
  });

  it('a repeat group item has its heading, and the summary its answers', () => {
    const chat = new Chat(profil);
    chat.answer('households', '10');
    chat.answer('school', '1');
    chat.answer('health', '1');
    expect(chat.message.prompt).toMatchObject({ heading: 'Mata pencaharian ke-1:', question: 'Warga hidup dari apa?' });
  });

  it('the summary and its buttons', () => {
    const chat = new Chat(laporan);
    for (const [id, v] of [['type', '1'], ['date', 'hari ini'], ['place', 'Waru'], ['location', 'lewati'], ['severity', '1'], ['households', '3'], ['livelihoods', 'lewati'], ['help', 'lewati'], ['photo', 'lewati']] as const) chat.answer(id, v);
    const p = chat.message.prompt!;
    expect(p.heading).toMatch(/^Periksa jawaban Anda:\nKejadian: Banjir/);
    expect(p.question).toBe('Sudah benar? Pilih KIRIM. Mau memperbaiki? Pilih UBAH.');
    expect(p.choices!.map((c) => c.id)).toEqual(['send', 'change']);
  });
});

describe('why a question was skipped', () => {
  function untilServices(chat: Chat): void {
    chat.answer('households', '100');
    chat.answer('school', '2');
    chat.answer('health', '4');
    chat.answer('source', '2');
    chat.answer('season', '1');
    chat.answer('share', '1');
    chat.answer('more', 'tidak');
    chat.answer('land', '1');
    chat.answer('road', '1');
  }

  it('village facilities offer "tidak tahu" and "tidak ada" instead of one LEWATI', () => {
    const chat = new Chat(profil);
    untilServices(chat);
    expect(chat.at).toBe('services');
    expect(chat.text).toContain('Kalau tidak tahu, ketik TIDAK TAHU. Kalau memang tidak ada, ketik TIDAK ADA.');
    const ids = chat.message.choices!.map((c) => c.id);
    expect(ids.slice(-2)).toEqual([SKIP_UNKNOWN_ID, SKIP_NONE_ID]);
    expect(ids).not.toContain(SKIP_ID);
    chat.press(SKIP_NONE_ID);
    expect(chat.at).toBe('savings_group');
    chat.back();
    chat.answer('services', 'tidak tahu');
    for (const [id, v] of [['savings_group', 'ya'], ['buyer', '1'], ['groups', 'tidak ada'], ['mutual_help', '1'], ['hard_season', '1'], ['opportunity', 'lewati']] as const) {
      chat.answer(id, v);
    }
    expect(chat.text).toContain('Sarana: (tidak tahu)');
    expect(chat.text).toContain('Kelompok: (tidak ada)');
    expect(chat.text).toContain('Peluang: (dilewati)');
    chat.press('send');
    const submit = chat.last.effects[0]!;
    expect(submit).toMatchObject({
      type: 'submit',
      answers: { services: null, groups: null, opportunity: null },
      skipped: { services: 'tidak-tahu', groups: 'tidak-ada' },
      display: { services: '(tidak tahu)', groups: '(tidak ada)', opportunity: '(dilewati)' },
    });
  });

  it('an answer given later replaces the reason', () => {
    const chat = new Chat(profil);
    chat.answer('households', 'tidak tahu');
    chat.back();
    chat.answer('households', '40');
    expect(chat.state.skipped).toEqual({});
  });

  it('"tidak ada" on a yes/no question is "no", and on a required question not a skip', () => {
    const chat = new Chat(profil);
    untilServices(chat);
    chat.answer('services', '1');
    chat.answer('savings_group', 'tidak ada');
    expect(chat.at).toBe('buyer');
    expect(chat.state.answers.savings_group).toBe(false);
    chat.answer('buyer', 'tidak tahu');
    expect(chat.at).toBe('buyer');
  });

  it('a group answered in the submission is shown item by item', () => {
    const chat = new Chat(profil);
    untilServices(chat);
    for (const [id, v] of [['services', '1'], ['savings_group', 'ya'], ['buyer', '1'], ['groups', 'lewati'], ['mutual_help', '1'], ['hard_season', '1'], ['opportunity', 'lewati']] as const) {
      chat.answer(id, v);
    }
    chat.press('send');
    expect(chat.last.effects[0]).toMatchObject({
      display: { sources: [{ source: 'Cengkeh', season: 'Sepanjang tahun', share: 'Sedikit' }], services: 'Listrik', savings_group: 'Ya' },
    });
  });
});

describe('the display of a submission in the member\'s language', () => {
  it('uses English labels for an English member', () => {
    const chat = new Chat(laporan, context({}, 'en'));
    for (const [id, v] of [['type', '1'], ['date', '17-09-2024'], ['place', 'Waru'], ['location', 'skip'], ['severity', '1'], ['households', "don't know"], ['livelihoods', 'skip'], ['help', 'skip'], ['photo', 'skip']] as const) chat.answer(id, v);
    chat.press('send');
    expect(chat.last.effects[0]).toMatchObject({
      display: { date: '17 September 2024', households: "(don't know)" },
      skipped: { households: 'tidak-tahu' },
    });
  });
});
