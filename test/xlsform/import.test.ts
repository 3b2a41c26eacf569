/** Importing XLSForms: every supported type, languages, refusals by row, broken forms. */
import { describe, expect, it } from 'vitest';
import { translationKeyUses } from '../../src/engine/index.js';
import { flattenKeys } from '../../src/i18n.js';
import { importXlsForm, type ImportResult } from '../../src/xlsform/import.js';
import { XlsFormError } from '../../src/xlsform/workbook.js';
import { CEK_AIR_BERSIH, SURVEI_RUMAH_TANGGA, type Cell, type FormSpec } from '../fixtures/xlsform/forms.js';
import { compile, convertSpec, importSpec, PYXFORM_FORMS, readFixture, refusal } from './helpers.js';

/** Every text key the flow uses exists, non-empty, in both languages; no key is left over (as flows:check). */
function expectTextsComplete(result: ImportResult): void {
  const flow = compile(result);
  const used = new Set(translationKeyUses(flow).map((u) => u.key.slice(flow.namespace.length + 1)));
  for (const lang of ['id', 'en'] as const) {
    const keys = flattenKeys(result.texts[lang]);
    for (const k of used) expect(keys.get(k), `${lang} ${k}`).toEqual(expect.any(String));
    expect([...keys.keys()].filter((k) => !used.has(k))).toEqual([]);
  }
}

const form = (rows: Cell[][], choices?: Cell[][]): FormSpec => ({
  survey: [['type', 'name', 'label::Bahasa Indonesia (id)', 'label::English (en)', 'relevant', 'constraint', 'required', 'appearance', 'calculation', 'default'], ...rows],
  ...(choices ? { choices: [['list_name', 'name', 'label::Bahasa Indonesia (id)', 'label::English (en)'], ...choices] } : {}),
});

describe('the pyxform example forms', () => {
  it.each(PYXFORM_FORMS)('%s imports and passes the engine checks', async (name) => {
    const result = await importXlsForm(await readFixture(name), name);
    expectTextsComplete(result);
    // English-only forms: the Indonesian texts fall back to English, with a warning.
    expect(result.warnings.join('\n')).toMatch(/no Indonesian text in survey\/choices rows .*the English text is used/);
  });

  it('reads old-style type names: "select one from", "or specify other", "begin loop over"', async () => {
    const other = await importXlsForm(await readFixture('specify_other.xlsx'), 'specify_other.xlsx');
    expect(other.flow.questions.map((q) => [q.id, q.type, q.relevant])).toEqual([
      ['sex', 'single', undefined],
      ['sex_other', 'text', "selected(answers.sex, 'other')"],
    ]);
    const loop = await importXlsForm(await readFixture('loop.xlsx'), 'loop.xlsx');
    expect(loop.flow.questions.map((q) => q.id)).toEqual([
      'available_toilet_types',
      'available_toilet_types_other',
      'number_pit_latrine_with_slab',
      'number_open_pit_latrine',
      'number_bucket_system',
    ]);
    expect(loop.texts.en).toMatchObject({ number_bucket_system: { prompt: 'How many Bucket system are on the premises?' } });
  });
});

describe('the Indonesian household survey', () => {
  it('maps every type, language and expression', async () => {
    const result = await importSpec(SURVEI_RUMAH_TANGGA, 'survei.xlsx');
    expect(result.id).toBe('survei-rumah-tangga');
    expect(result.warnings).toEqual([]);
    expectTextsComplete(result);
    const byId = Object.fromEntries(result.flow.questions.map((q) => [q.id, q]));
    expect(byId.mulai).toEqual({ id: 'mulai', type: 'meta', meta: 'start' });
    expect(byId.perangkat).toEqual({ id: 'perangkat', type: 'meta', meta: 'deviceid' });
    expect(byId.lokasi).toEqual({ id: 'lokasi', type: 'note' }); // the group's label
    expect(byId.desa).toMatchObject({ type: 'single', filter: 'item.kecamatan == answers.kecamatan' });
    expect(byId.nama_kk).toMatchObject({ type: 'text', requiredMessage: 'nama_kk.required', constraint: 'stringLength(value) >= 3' });
    expect(byId.anggota).toMatchObject({ type: 'group', repeat: true, repeatCount: 'answers.jumlah_anggota' });
    expect(byId.total_umur).toEqual({ id: 'total_umur', type: 'calculate', calculation: "sum(column(answers.anggota, 'umur'))" });
    expect(byId.sumber_penghasilan).toMatchObject({ type: 'multi', hint: 'sumber_penghasilan.hint' });
    expect(byId.perahu).toMatchObject({ type: 'group', relevant: "selected(answers.sumber_penghasilan, 'ikan')" });
    expect(byId.perahu!.repeatCount).toBeUndefined();
    expect(byId.tangkapan_kg).toMatchObject({ type: 'decimal', default: 0, required: false });
    expect(byId.tanggal_melaut).toMatchObject({ type: 'date', constraint: 'value <= today()' });
    expect(byId.lokasi_rumah).toMatchObject({ type: 'location', required: false });
    expect(byId.foto_rumah).toEqual({ id: 'foto_rumah', type: 'photo' });
    expect(byId.setuju).toMatchObject({ type: 'single', choices: [{ id: 'OK' }] });
    expect(result.texts.id).toMatchObject({
      jumlah_anggota: { prompt: 'Berapa orang tinggal di rumah {{answers.nama_kk}}?' },
      umur: { prompt: 'Berapa umur {{group.nama_anggota}}?' },
      anggota: { prompt: 'Anggota rumah tangga ke-{{n}}:' },
      perahu: { add_another: 'Tambah lagi: Perahu?' },
      title: 'Survei Rumah Tangga Nelayan',
    });
    expect(result.texts.en).toMatchObject({ anggota: { prompt: 'Household member #{{n}}:' }, desa: { choices: { waru: 'Waru' } } });
  });

  it('reads plain label columns as the default language and old column spellings', async () => {
    const result = await importSpec(CEK_AIR_BERSIH, 'cek-air.xlsx');
    expect(result.flow.questions[1]).toMatchObject({ id: 'jumlah_sumur', relevant: "answers.ada_sumur == 'ya'", constraint: 'value > 0', hint: 'jumlah_sumur.hint' });
    expect(result.texts.id).toMatchObject({ jumlah_sumur: { constraint: 'Paling sedikit 1.' } });
    expect(result.warnings).toEqual(['en: no English text in survey/choices rows 2, 3, 4, 3, 4: the Indonesian text is used'.replace('rows 2, 3, 4, 3, 4', 'rows 2, 3, 4')]);
    const en = await importSpec(CEK_AIR_BERSIH, 'cek-air.xlsx', { defaultLanguage: 'en' });
    expect(en.warnings[0]).toMatch(/^id: no Indonesian text/);
  });

  it('takes the id and roles from the options', async () => {
    const result = await importSpec(CEK_AIR_BERSIH, 'Cek Air.xlsx', { id: 'air-bersih', roles: ['pokja'] });
    expect(result.flow).toMatchObject({ id: 'air-bersih', roles: ['pokja'] });
    expect((await importSpec(CEK_AIR_BERSIH, 'Cek Air_2024.xlsx')).id).toBe('cek-air-2024');
  });
});

describe('what a chat cannot do is refused with its row and why', () => {
  it.each([
    ['signature', ['image', 'ttd', 'Tanda tangan', 'Signature', null, null, null, 'signature'], /survey row 2: image with appearance signature is not supported: a chat cannot take a signature/],
    ['barcode', ['barcode', 'kode', 'Pindai', 'Scan'], /survey row 2: type barcode \("kode"\) is not supported: a chat cannot scan a barcode/],
    ['range', ['range', 'skala', 'Skala', 'Scale'], /survey row 2: type range \("skala"\) is not supported: the range widget/],
    ['rank', ['rank', 'urut', 'Urutkan', 'Rank'], /survey row 2: type rank .* ranking by dragging/],
    ['select_one_from_file', ['select_one_from_file desa.csv', 'desa', 'Desa', 'Village'], /survey row 2: type select_one_from_file \("desa"\) is not supported: the choices file/],
    ['audit', ['audit', 'audit'], /survey row 2: type audit \("audit"\) is not supported: audit logs/],
    ['datetime', ['datetime', 'kapan', 'Kapan?', 'When?'], /survey row 2: type datetime .* use date and time/],
    ['pulldata()', ['calculate', 'harga', null, null, null, null, null, null, "pulldata('harga', 'h', 'k', 'x')"], /survey row 2: calculation "pulldata\(.*\)": pulldata\(\) is not supported: reads a CSV file/],
    ['required as an expression', ['text', 'a', 'A', 'A', null, null, "${x} = 'y'"], /survey row 2: required "\$\{x\} = 'y'" is not supported/],
    ['a computed default', ['date', 'tgl', 'Tanggal', 'Date', null, null, null, null, null, 'today()'], /survey row 2: default "today\(\)" is not supported/],
  ])('%s', async (_what, row, message) => {
    const problems = await refusal(form([row as Cell[]]));
    expect(problems.join('\n')).toMatch(message);
    expect(problems.at(-1)).toMatch(/--skip-unsupported/);
  });

  it('refuses a repeat inside a repeat', async () => {
    const problems = await refusal(form([['begin_repeat', 'a', 'A', 'A'], ['begin_repeat', 'b', 'B', 'B'], ['text', 'c', 'C', 'C'], ['end_repeat'], ['end_repeat']]));
    expect(problems.join('\n')).toMatch(/survey row 3: repeat "b" inside repeat "a" is not supported: the chat engine cannot nest repeats/);
  });

  it('--skip-unsupported imports the rest and lists exactly what was left out, with what depends on it', async () => {
    const spec = form([
      ['text', 'nama', 'Nama?', 'Name?'],
      ['barcode', 'kode', 'Pindai', 'Scan'],
      ['text', 'catatan', 'Catatan kode?', 'Note on the code?', "${kode} != ''"],
      ['calculate', 'harga', null, null, null, null, null, null, "pulldata('h', 'h', 'k', ${nama})"],
      ['integer', 'umur', 'Umur?', 'Age?'],
    ]);
    const result = await convertSpec(spec, { skipUnsupported: true });
    expect(result.flow.questions.map((q) => q.id)).toEqual(['nama', 'umur']);
    expect(result.skipped).toEqual([
      'form.xlsx: survey row 3: type barcode ("kode") is not supported: a chat cannot scan a barcode',
      'form.xlsx: survey row 4: relevant "${kode} != \'\'" is not supported: it refers to ${kode}, which was left out',
      expect.stringMatching(/^form.xlsx: survey row 5: calculation "pulldata.*pulldata\(\) is not supported/),
    ]);
  });
});

describe('a broken form is refused with the row and the problem', () => {
  it.each([
    ['a duplicate name', [['text', 'a', 'A', 'A'], ['integer', 'a', 'B', 'B']], /survey row 3: duplicate name "a" \(also row 2\)/],
    ['a missing choice list', [['select_one tidak_ada', 's', 'S', 'S']], /survey row 2: choice list "tidak_ada" does not exist/],
    ['an unclosed group', [['begin_group', 'g', 'G', 'G'], ['text', 'a', 'A', 'A']], /survey row 2: begin_group "g" has no end_group/],
    ['a stray end', [['text', 'a', 'A', 'A'], ['end_group']], /survey row 3: end_group without a begin_group/],
    ['a crossed end', [['begin_repeat', 'r', 'R', 'R'], ['text', 'a', 'A', 'A'], ['end_group']], /survey row 4: end_group closes begin_repeat "r" of row 2/],
    ['an expression that does not parse', [['integer', 'a', 'A', 'A', null, '. > ']], /survey row 2: constraint ". >" does not parse: the expression ends too early/],
    ['an unknown reference', [['text', 'a', 'A', 'A', '${b} = 1']], /survey row 2: relevant "\$\{b\} = 1" does not parse: \$\{b\} is not a question/],
    ['a reference to a later question', [['text', 'a', 'A', 'A', "${b} = 'x'"], ['text', 'b', 'B', 'B']], /survey row 2 \(a\): relevant: .*answers.b is not an earlier question/],
    ['an unknown type', [['textt', 'a', 'A', 'A']], /survey row 2: unknown type "textt"/],
    ['a name with a dash', [['text', 'nama-kk', 'A', 'A']], /survey row 2: name "nama-kk" must start with a letter/],
    ['no label', [['text', 'a']], /survey row 2: "a" has no label/],
  ])('%s', async (_what, rows, message) => {
    expect((await refusal(form(rows as Cell[][], [['l', 'x', 'X', 'X']]))).join('\n')).toMatch(message);
  });

  it('an old .xls file gets one line asking for .xlsx', async () => {
    const ole = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]);
    const err = await importXlsForm(ole, 'survei.xls').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XlsFormError);
    expect((err as XlsFormError).problems).toEqual(['survei.xls: this is an old Excel (.xls) file: open it in Excel or LibreOffice, save it as .xlsx and import that']);
  });

  it('a file without a survey sheet', async () => {
    const err = await importXlsForm(new Uint8Array([1, 2, 3]), 'x.xlsx').catch((e: unknown) => e);
    expect((err as XlsFormError).problems[0]).toMatch(/^x.xlsx: not a readable .xlsx file/);
  });
});
