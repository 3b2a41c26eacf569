/** Engine behaviour shared by all flows: stale buttons, failures, back, reprompt, purity. */
import { describe, expect, it } from 'vitest';
import { parseFlow, repromptRun, startRun, step, type RunState } from '../../src/engine/index.js';
import { Chat, context, flow, getI18n } from './helpers.js';

const daftar = await flow('daftar');
const laporan = await flow('laporan-risiko');
const profil = await flow('profil-desa');

// A small flow for what the shipped flows don't use (decimal, date limits, multi limits).
getI18n().addResourceBundle('id', 'demo', {
  title: 'Demo', description: 'Demo', thanks: 'Makasih {{answers.name}}',
  name: { prompt: 'Nama?', label: 'Nama' },
  weight: { prompt: 'Berat (kg) untuk {{answers.name}}?', label: 'Berat' },
  planted: { prompt: 'Tanggal tanam?', label: 'Tanam' },
  crops: { prompt: 'Tanaman?', label: 'Tanaman', choices: { a: 'Pala', b: 'Cengkeh', c: 'Sagu' } },
  even: { prompt: 'Angka genap?', label: 'Genap', bad: 'Harus genap, bukan {{value}}.' },
});
const demo = parseFlow(
  `id: demo
version: 2
roles: [warga]
questions:
  - id: name
    type: text
    maxLength: 10
  - id: weight
    type: decimal
    min: 0.5
    max: 100
  - id: planted
    type: date
    min: "2024-01-01"
    max: "2024-06-30"
  - id: crops
    type: multi
    minSelected: 2
    maxSelected: 2
    choices: [{id: a}, {id: b}, {id: c}]
  - id: even
    type: integer
    constraint: "value % 2 == 0"
    constraintMessage: even.bad
`,
  'demo.yaml',
);

describe('question types in a small flow', () => {
  it('text length, decimals Indonesian style, date limits, multi limits, constraints', () => {
    const chat = new Chat(demo);
    chat.answer('name', 'Maria Magdalena');
    expect(chat.text).toMatch(/^Jawaban terlalu panjang \(15 huruf\)\. Paling banyak 10 huruf\./);
    chat.answer('name', 'Maria');
    expect(chat.text).toBe('Berat (kg) untuk Maria?\nTulis angka 0,5 sampai 100.');
    chat.answer('weight', '0,2');
    expect(chat.text).toMatch(/^Angka terlalu kecil\. Paling kecil 0,5\./);
    chat.answer('weight', '12,5');
    chat.answer('planted', '1 Juli 2024');
    expect(chat.text).toMatch(/^Tanggal paling akhir 30 Juni 2024\./);
    chat.answer('planted', '31-12-2023');
    expect(chat.text).toMatch(/^Tanggal paling awal 1 Januari 2024\./);
    chat.answer('planted', '15/3/2024');
    chat.answer('crops', '1');
    expect(chat.text).toMatch(/^Mohon pilih paling sedikit 2\./);
    chat.answer('crops', '1,2,3');
    expect(chat.text).toMatch(/^Mohon pilih paling banyak 2\./);
    chat.answer('crops', '4');
    expect(chat.text).toMatch(/^Pilihan "4" tidak ada\./);
    chat.answer('crops', 'sagu dan pala');
    chat.answer('even', '3');
    expect(chat.text).toMatch(/^Harus genap, bukan 3\./);
    chat.answer('even', '4');
    expect(chat.text).toContain('Berat: 12,5\nTanam: 15 Maret 2024\nTanaman: Pala, Sagu\nGenap: 4');
    chat.press('send');
    expect(chat.submitted).toEqual({ name: 'Maria', weight: 12.5, planted: '2024-03-15', crops: ['a', 'c'], even: 4 });
    expect(chat.text).toBe('Makasih Maria');
  });

  it('a text question refuses a photo or location', () => {
    const chat = new Chat(demo);
    chat.answer('name', { kind: 'photo', fileId: 'x' });
    expect(chat.text).toMatch(/^Mohon ketik jawabannya\./);
    chat.answer('name', '   ');
    expect(chat.at).toBe('name');
  });
});

describe('buttons and prompt numbers', () => {
  it('an old button changes nothing and shows the current question', () => {
    const chat = new Chat(daftar);
    const oldSeq = chat.state.promptSeq;
    chat.answer('consent', 'ya');
    expect(chat.state.promptSeq).toBe(oldSeq + 1);
    chat.send({ kind: 'choice', promptSeq: oldSeq, choiceId: 'no' });
    expect(chat.text).toBe('Tombol itu dari pertanyaan lama. Ini pertanyaan yang sekarang:\n\nApakah umur Anda di bawah 17 tahun?\nBalas YA atau TIDAK.');
    expect(chat.state.status).toBe('active');
    expect(chat.at).toBe('minor');
    expect(chat.last.effects).toEqual([]);
    expect(chat.message.promptSeq).toBe(oldSeq + 2);
    expect(chat.state.failures).toBe(0);
  });

  it('every question message carries the prompt number its buttons must send back', () => {
    const chat = new Chat(daftar);
    expect(chat.message.promptSeq).toBe(chat.state.promptSeq);
    chat.press('yes');
    expect(chat.message.promptSeq).toBe(chat.state.promptSeq);
    expect(chat.message.expect).toBe('choice');
  });

  it('a button id that is not on offer is an invalid answer', () => {
    const chat = new Chat(laporan);
    chat.press('tsunami');
    expect(chat.text).toMatch(/^Pilihan itu tidak ada\./);
    expect(chat.state.failures).toBe(1);
  });

  it('repromptRun sends the same question with a new number; the old buttons are then stale', () => {
    const chat = new Chat(daftar);
    const before = chat.state.promptSeq;
    const first = chat.text;
    chat.reprompt();
    expect(chat.text).toBe(first);
    expect(chat.state.promptSeq).toBe(before + 1);
    chat.send({ kind: 'choice', promptSeq: before, choiceId: 'yes' });
    expect(chat.at).toBe('consent');
  });
});

describe('invalid answers', () => {
  it('after 3 failures in a row the message offers help; a good answer resets the count', () => {
    const chat = new Chat(daftar);
    chat.answer('consent', 'mungkin');
    expect(chat.text).toMatch(/^Mohon balas YA atau TIDAK\.\n\nApakah Anda setuju/);
    chat.answer('consent', 'hmm');
    expect(chat.text).not.toContain('BANTUAN');
    chat.answer('consent', '???');
    expect(chat.state.failures).toBe(3);
    expect(chat.text).toMatch(/^Mohon balas YA atau TIDAK\.\nMasih susah\? Ketik BANTUAN untuk minta bantuan, atau BATAL untuk berhenti\.\n\nApakah Anda setuju/);
    chat.answer('consent', 'ya');
    expect(chat.state.failures).toBe(0);
    chat.answer('minor', 'entah');
    expect(chat.text).not.toContain('BANTUAN');
  });

  it('on an optional question the help also offers LEWATI', () => {
    const chat = new Chat(laporan);
    for (const [id, v] of [['type', '1'], ['date', 'hari ini'], ['place', 'Waru'], ['location', 'lewati'], ['severity', '1']] as const) chat.answer(id, v);
    for (let i = 0; i < 3; i++) chat.answer('households', 'banyak sekali');
    expect(chat.text).toContain('Masih susah? Ketik LEWATI untuk lewati, BANTUAN untuk minta bantuan, atau BATAL untuk berhenti.');
  });

  it('the skip word on a required question is refused', () => {
    const chat = new Chat(daftar);
    chat.answer('consent', 'ya');
    chat.answer('minor', 'tidak');
    chat.answer('name', 'lewati');
    expect(chat.text).toMatch(/^Pertanyaan ini perlu dijawab\./);
    chat.send({ kind: 'choice', promptSeq: chat.state.promptSeq, choiceId: '__skip' });
    expect(chat.at).toBe('name');
    expect(chat.message.choices).toBeUndefined();
  });

  it('optional questions say they can be skipped and offer a skip button', () => {
    const chat = new Chat(laporan);
    for (const [id, v] of [['type', '1'], ['date', 'hari ini'], ['place', 'Waru']] as const) chat.answer(id, v);
    expect(chat.text).toContain('Ketik LEWATI kalau tidak tahu atau tidak ada.');
    expect(chat.message.choices).toContainEqual({ id: '__skip', label: 'Lewati' });
  });
});

describe('back', () => {
  it('at the first question there is nothing to go back to', () => {
    const chat = new Chat(daftar);
    chat.back();
    expect(chat.text).toBe(
      'Ini pertanyaan pertama, tidak bisa kembali lagi.\n\nApakah Anda setuju data Anda disimpan untuk itu?\nBalas YA atau TIDAK.\n' +
        'Di setiap pertanyaan: ketik KEMBALI untuk ke pertanyaan sebelumnya, atau BATAL untuk berhenti.',
    );
    expect(chat.at).toBe('consent');
  });

  it('goes back over skipped questions, keeps notes silent, and accepts "kembali"', () => {
    const chat = new Chat(daftar);
    chat.answer('consent', 'ya');
    chat.answer('minor', 'tidak');
    chat.answer('name', 'Ani');
    chat.back();
    expect(chat.at).toBe('name');
    chat.back();
    expect(chat.at).toBe('minor'); // guardian_consent was never asked
    expect(chat.last.messages).toHaveLength(1);
    chat.send('kembali');
    expect(chat.at).toBe('consent');
  });

  it('from the summary goes to the last question; from "change which?" to the summary', () => {
    const chat = new Chat(laporan);
    for (const [id, v] of [['type', '1'], ['date', 'hari ini'], ['place', 'Waru'], ['location', 'lewati'], ['severity', '1'], ['households', 'lewati'], ['livelihoods', 'lewati'], ['help', 'lewati'], ['photo', 'lewati']] as const) chat.answer(id, v);
    chat.press('change');
    expect(chat.at).toBe('change');
    chat.back();
    expect(chat.at).toBe('summary');
    chat.back();
    expect(chat.at).toBe('photo');
  });

  it('a multi question re-asked starts from the earlier selection', () => {
    const chat = new Chat(laporan);
    for (const [id, v] of [['type', '1'], ['date', 'hari ini'], ['place', 'Waru'], ['location', 'lewati'], ['severity', '1'], ['households', 'lewati'], ['livelihoods', '2,4']] as const) chat.answer(id, v);
    chat.back();
    expect(chat.message.multiple).toEqual({ selected: ['cengkeh', 'kopra'] });
    chat.press('cengkeh');
    chat.press('__done');
    chat.answer('help', 'lewati');
    chat.answer('photo', 'lewati');
    chat.press('send');
    expect(chat.submitted!.livelihoods).toEqual(['kopra']);
  });
});

describe('summary', () => {
  it('refuses anything but send or change, and changes one answer', () => {
    const chat = new Chat(laporan);
    for (const [id, v] of [['type', '1'], ['date', 'hari ini'], ['place', 'Waru'], ['location', 'lewati'], ['severity', '1'], ['households', 'lewati'], ['livelihoods', 'lewati'], ['help', 'lewati'], ['photo', 'lewati']] as const) chat.answer(id, v);
    expect(chat.message.choices).toEqual([
      { id: 'send', label: 'Kirim' },
      { id: 'change', label: 'Ubah' },
    ]);
    chat.answer('summary', 'nanti saja');
    expect(chat.at).toBe('summary');
    expect(chat.text).toMatch(/^Mohon balas KIRIM atau UBAH\.\n\nPeriksa jawaban Anda:/);
    chat.answer('summary', 'Ubah');
    expect(chat.text).toMatch(/^Jawaban mana yang mau diubah\? Balas dengan nomornya\.\n1\. Kejadian\n2\. Tanggal\n3\. Tempat/);
    chat.answer('change', '3');
    chat.answer('place', 'Dusun Baru');
    expect(chat.at).toBe('summary');
    expect(chat.text).toContain('Tempat: Dusun Baru');
    chat.answer('summary', 'kirim');
    expect(chat.submitted!.place).toBe('Dusun Baru');
  });
});

describe('state', () => {
  it('is plain JSON, and step never changes the state it was given', () => {
    const ctx = context();
    let state: RunState = startRun(profil, ctx).state;
    const inputs = ['100', '2', '4', '1', '1', '1', 'tidak', '1', '10'];
    for (const text of inputs) {
      const frozen = JSON.stringify(state);
      const result = step(profil, state, { kind: 'text', text }, ctx);
      expect(JSON.stringify(state)).toBe(frozen);
      expect(JSON.parse(JSON.stringify(result.state))).toEqual(result.state);
      state = result.state;
    }
    expect(state).toMatchObject({ flowId: 'profil-desa', flowVersion: 1, status: 'active', position: { at: 'question', id: 'road' } });
    expect(state.answers.sources).toEqual([{ source: 'perikanan', season: 'sepanjang_tahun', share: 'sedikit' }]);
    expect(state.history.length).toBeGreaterThan(5);
  });

  it('a finished run answers any input with a short note', () => {
    const chat = new Chat(daftar);
    chat.answer('consent', 'tidak');
    chat.send('ya');
    expect(chat.text).toBe('Isian ini sudah selesai. Ketik MENU untuk pilihan lain.');
    expect(chat.last.effects).toEqual([]);
  });

  it('a run of an older flow version keeps its answers and goes on', () => {
    const chat = new Chat(demo);
    chat.answer('name', 'Ani');
    const old: RunState = { ...chat.state, flowVersion: 1, answers: { ...chat.state.answers, removed_question: 'x' } };
    const result = step(demo, old, { kind: 'text', text: '7' }, context());
    expect(result.state.flowVersion).toBe(2);
    expect(result.state.answers).toEqual({ name: 'Ani', weight: 7 });
  });

  it('refuses a state of another flow', () => {
    const state = startRun(daftar, context()).state;
    expect(() => step(laporan, state, { kind: 'back' }, context())).toThrow(/daftar/);
    expect(() => repromptRun(laporan, state, context())).toThrow();
  });
});
