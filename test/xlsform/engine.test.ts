/**
 * The engine additions imported flows use, through the engine itself: calculate, metadata,
 * repeat_count, default, required_message, hint, choice_filter on the form's own lists,
 * {{group.x}} in a repeat, and the XLSForm functions. The household survey, completed.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, compileExpression } from '../../src/engine/expressions.js';
import { SURVEI_RUMAH_TANGGA } from '../fixtures/xlsform/forms.js';
import { compile, EngineChat, importSpec, translator } from './helpers.js';

async function household(lang: 'id' | 'en' = 'id') {
  const result = await importSpec(SURVEI_RUMAH_TANGGA, 'survei.xlsx');
  return new EngineChat(compile(result), await translator({ [result.id]: result.texts }, lang));
}

describe('the household survey at the engine level', () => {
  it('is completed with groups, a counted repeat, a cascading select, constraints and skip logic', async () => {
    const chat = (await household()).start();
    // Notes (the opening and the group's label) come first; metadata is never asked.
    expect(chat.text).toContain('Survei rumah tangga nelayan');
    expect(chat.text).toContain('Lokasi rumah');
    expect(chat.prompt.text).toContain('Di kecamatan mana?');
    chat.press('Gorom Timur');
    // The cascading select offers only the villages of the kecamatan chosen.
    expect(chat.prompt.choices?.map((c) => c.label)).toEqual(['Kataloka', 'Amarsekaru']);
    chat.press('Kataloka');

    chat.say('lewati');
    expect(chat.text).toContain('Nama kepala keluarga perlu diisi.'); // required_message
    chat.say('Al');
    expect(chat.text).toContain('Nama terlalu pendek.'); // constraint_message
    chat.say('Abdul Rahman');
    expect(chat.prompt.text).toContain('Berapa orang tinggal di rumah Abdul Rahman?'); // ${nama_kk}
    chat.say('25');
    expect(chat.text).toContain('Tulis angka 1 sampai 20.');
    chat.say('2');

    // repeat_count = ${jumlah_anggota}: two items, no "add another?".
    expect(chat.prompt.text).toContain('Anggota rumah tangga ke-1:');
    chat.say('Siti');
    expect(chat.prompt.text).toContain('Berapa umur Siti?'); // ${nama_anggota} of the same item
    chat.say('12');
    expect(chat.prompt.text).toContain('Apakah Siti masih sekolah?'); // relevant: 6 <= umur <= 18
    chat.press('Ya');
    expect(chat.prompt.text).toContain('Anggota rumah tangga ke-2:');
    chat.say('Abdul Rahman');
    chat.say('45');
    // Not of school age: straight on to the next question, without "add another?".
    expect(chat.prompt.text).toContain('Dari mana penghasilan utama keluarga?');
    expect(chat.prompt.text).toContain('Boleh pilih lebih dari satu.'); // hint
    chat.say('1, 4'); // fishing and "other"
    expect(chat.prompt.text).toContain('Sebutkan yang lainnya:');
    chat.say('Tukang kayu');

    // The fishing group is relevant: its label, then a repeat with "add another?".
    expect(chat.text).toContain('Tentang perikanan');
    expect(chat.prompt.text).toContain('Perahu ke-1:');
    chat.press('Ketinting');
    expect(chat.prompt.text).toContain('Boleh pakai koma');
    chat.say('6,5');
    expect(chat.prompt.text).toContain('Tambah lagi: Perahu?');
    chat.press('Tidak');
    // default 0: skipping stores it, and the button says so.
    expect(chat.prompt.choices?.map((c) => c.label)).toContain('Lewati (0)');
    chat.say('lewati');

    chat.say('1 Desember 2026'); // after "today" (27 November 2026)
    expect(chat.text).toContain('Tanggal tidak boleh di masa depan.');
    chat.say('20-11-2026');
    chat.say('lewati'); // location
    chat.say('lewati'); // photo
    chat.say('12345');
    expect(chat.text).toContain('Nomor HP diawali 08'); // regex()
    chat.say('081234567890');
    expect(chat.prompt.text).toContain('Saya menyatakan jawaban ini benar.');
    chat.press('OK');
    expect(chat.text).toContain('Terima kasih, Abdul Rahman. Rumah tangga 2 orang sudah dicatat.');
    expect(chat.prompt.text).toContain('Periksa jawaban');
    // Calculations and metadata are not shown in the summary.
    expect(chat.prompt.text).not.toMatch(/total_umur|web:tester|2026-11-27T/);
    chat.press('Kirim');

    expect(chat.ended).toBe('submitted');
    expect(chat.submitted).toEqual({
      mulai: '2026-11-27T02:00:00.000Z',
      selesai: '2026-11-27T02:00:00.000Z',
      hari_ini: '2026-11-27',
      perangkat: 'web:tester',
      kecamatan: 'gorom_timur',
      desa: 'kataloka',
      nama_kk: 'Abdul Rahman',
      jumlah_anggota: 2,
      anggota: [
        { nama_anggota: 'Siti', umur: 12, sekolah: 'ya' },
        { nama_anggota: 'Abdul Rahman', umur: 45 },
      ],
      total_umur: 57,
      keluarga_besar: 'tidak',
      sumber_penghasilan: ['ikan', 'other'],
      sumber_penghasilan_other: 'Tukang kayu',
      perahu: [{ jenis: 'ketinting', panjang: 6.5 }],
      tangkapan_kg: 0,
      tanggal_melaut: '2026-11-20',
      lokasi_rumah: null,
      foto_rumah: null,
      telepon: '081234567890',
      ringkasan: 'Abdul Rahman / 081234567890',
      setuju: 'OK',
    });
  });

  it('skips a fishing group that does not apply, and a repeat counted as zero is not asked', async () => {
    const result = await importSpec(
      {
        survey: [
          ['type', 'name', 'label', 'required', 'repeat_count', 'relevant'],
          ['integer', 'n', 'Berapa anak?', 'yes'],
          ['begin_repeat', 'anak', 'Anak', null, '${n}'],
          ['text', 'nama', 'Nama anak?', 'yes'],
          ['end_repeat'],
          ['select_one yt', 'ikan', 'Melaut?', 'yes'],
          ['begin_group', 'g', 'Perikanan', null, null, "${ikan} = 'ya'"],
          ['integer', 'hari', 'Berapa hari melaut?', 'yes'],
          ['end_group'],
          ['end', 'akhir'],
        ],
        choices: [['list_name', 'name', 'label'], ['yt', 'ya', 'Ya'], ['yt', 'tidak', 'Tidak']],
      },
      'anak.xlsx',
    );
    const chat = new EngineChat(compile(result), await translator({ [result.id]: result.texts })).start();
    chat.say('0');
    expect(chat.prompt.text).toContain('Melaut?');
    chat.press('Tidak');
    expect(chat.prompt.text).toContain('Periksa jawaban');
    expect(chat.text).not.toContain('Perikanan');
    chat.now = new Date('2026-11-27T03:30:00Z');
    chat.press('Kirim');
    expect(chat.submitted).toEqual({ n: 0, anak: [], ikan: 'tidak', akhir: '2026-11-27T03:30:00.000Z' });
  });

  it('speaks English from the same form', async () => {
    const chat = (await household('en')).start();
    expect(chat.prompt.text).toContain('Which kecamatan?');
    chat.press('East Gorom');
    chat.press('Amarsekaru');
    chat.say('Abdul Rahman');
    expect(chat.prompt.text).toContain('How many people live in the house of Abdul Rahman?');
  });
});

describe('XLSForm functions in the engine', () => {
  const run = (src: string, answers: Record<string, unknown> = {}, value?: unknown) => {
    const { compiled, problems } = compileExpression(src, { roots: ['answers', 'value'], answerIds: new Set(Object.keys(answers)) });
    expect(problems).toEqual([]);
    return evaluate(compiled!, { answers, value }, { today: '2026-11-27', now: new Date('2026-11-27T02:00:00Z') }, 'ERROR');
  };
  it.each([
    ["selected(answers.s, 'b')", { s: ['a', 'b'] }, true],
    ["selected(answers.s, 'c')", { s: ['a', 'b'] }, false],
    ["selected(answers.s, 'b')", { s: 'a b' }, true],
    ["selected(answers.s, 'ya')", { s: 'ya' }, true],
    ["selected(answers.s, 'ya')", { s: null }, false],
    ['countSelected(answers.s)', { s: ['a', 'b', 'c'] }, 3],
    ['countSelected(answers.s)', { s: null }, 0],
    ['stringLength(answers.t)', { t: 'Waru' }, 4],
    ['stringLength(answers.t)', { t: null }, 0],
    ['today()', {}, '2026-11-27'],
    ['now()', {}, '2026-11-27T02:00:00.000Z'],
    ["concat(answers.a, '-', answers.b, answers.c)", { a: 'x', b: 2, c: null }, 'x-2'],
    ["coalesce(answers.a, 'kosong')", { a: null }, 'kosong'],
    ["coalesce(answers.a, 'kosong')", { a: 'isi' }, 'isi'],
    ["regex(answers.a, '^08[0-9]{8,11}$')", { a: '081234567890' }, true],
    ["regex(answers.a, '^08[0-9]{8,11}$')", { a: '0812' }, false],
    ["regex(answers.a, '(')", { a: 'x' }, false],
    ['isEmpty(answers.a)', { a: '' }, true],
    ['isEmpty(answers.a)', { a: [] }, true],
    ['isEmpty(answers.a)', { a: 0 }, false],
    ['int(answers.a) + round(answers.b, 1)', { a: '7.9', b: 2.345 }, 9.3],
    ["sum(column(answers.g, 'x')) + count(answers.g)", { g: [{ x: 2 }, { x: 3 }, {}] }, 8],
    ["max(column(answers.g, 'x'))", { g: [{ x: 2 }, { x: 3 }] }, 3],
    ["(answers.a > 5) ? 'besar' : 'kecil'", { a: 6 }, 'besar'],
    ["contains(answers.a, 'ala') && startsWith(answers.a, 'p')", { a: 'pala' }, true],
    ["value <= today() && date('2024-01-01') < value", { }, true],
  ])('%s with %j', (src, answers, expected) => {
    expect(run(src, answers, '2025-06-01')).toEqual(expected);
  });
});

describe('XLSForm functions that need the run: choice names, once and uuid, month names', () => {
  const spec = {
    survey: [
      ['type', 'name', 'label::Bahasa Indonesia (id)', 'label::English (en)', 'calculation'],
      ['select_one tanaman', 's', 'Tanaman apa?', 'Which crop?'],
      ['calculate', 'nama', null, null, "jr:choice-name(${s}, '${s}')"],
      ['calculate', 'kode', null, null, 'once(uuid())'],
      ['calculate', 'tanggal', null, null, "format-date(today(), '%e %b %Y')"],
      ['note', 'n', 'Anda pilih ${nama}, ${tanggal}.', 'You chose ${nama}, ${tanggal}.'],
      ['text', 'catatan', 'Catatan?', 'Notes?'],
    ],
    choices: [
      ['list_name', 'name', 'label::Bahasa Indonesia (id)', 'label::English (en)'],
      ['tanaman', 'pala', 'Kebun pala', 'Nutmeg garden'],
      ['tanaman', 'cengkeh', 'Kebun cengkeh', 'Clove garden'],
    ],
  };

  it('jr:choice-name() is the label in the member’s language; once(uuid()) keeps its id when answers change', async () => {
    const result = await importSpec(spec, 'fungsi.xlsx');
    const id = await new EngineChat(compile(result), await translator({ [result.id]: result.texts }, 'id')).start();
    id.press('Kebun pala');
    expect(id.text).toContain('Anda pilih Kebun pala, 27 Nov 2026.');
    const kode = id.state.answers.kode;
    expect(kode).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    id.say('lewati');
    id.press('Ubah');
    id.press('Tanaman');
    id.press('Kebun cengkeh');
    id.press('Kirim');
    expect(id.submitted).toMatchObject({ s: 'cengkeh', nama: 'Kebun cengkeh', kode, tanggal: '27 Nov 2026' });

    const en = await new EngineChat(compile(result), await translator({ [result.id]: result.texts }, 'en')).start();
    en.press('Nutmeg');
    expect(en.text).toContain('You chose Nutmeg garden, 27 Nov 2026.');
    // Another run, another id.
    expect(en.state.answers.kode).not.toBe(kode);
  });
});
