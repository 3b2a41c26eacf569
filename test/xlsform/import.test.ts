/** Importing XLSForms: every supported type, languages, refusals by row, broken forms. */
import { describe, expect, it } from 'vitest';
import { translationKeyUses } from '../../src/engine/index.js';
import { flattenKeys } from '../../src/i18n.js';
import { importXlsForm, type ImportResult } from '../../src/xlsform/import.js';
import { XlsFormError } from '../../src/xlsform/workbook.js';
import { CEK_AIR_BERSIH, SURVEI_RUMAH_TANGGA, type Cell, type FormSpec } from '../fixtures/xlsform/forms.js';
import { compile, convertSpec, expectRoundTrip, importSpec, PYXFORM_FORMS, readFixture, refusal } from './helpers.js';

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
    ['background-audio', ['background-audio', 'suara'], /survey row 2: type background-audio \("suara"\) is not supported: recording the surroundings in the background/],
    ['search() choices from a CSV file', ['select_one l', 's', 'S', 'S', null, null, null, "search('buah')"], /survey row 2: select_one l with appearance search\('buah'\) is not supported: the choices come from a CSV file/],
    ['an absolute path', ['text', 'a', 'A', 'A', '/data/x = 1'], /survey row 2: relevant "\/data\/x = 1" is not supported: absolute paths/],
    ['pulldata()', ['calculate', 'harga', null, null, null, null, null, null, "pulldata('harga', 'h', 'k', 'x')"], /survey row 2: calculation "pulldata\(.*\)": pulldata\(\) is not supported: reads a CSV file/],
  ])('%s', async (_what, row, message) => {
    const problems = await refusal(form([row as Cell[]], [['l', 'x', 'X', 'X']]));
    expect(problems.join('\n')).toMatch(message);
    expect(problems.at(-1)).toMatch(/--skip-unsupported/);
  });

  it('refuses a repeat inside a repeat', async () => {
    const problems = await refusal(form([['begin_repeat', 'a', 'A', 'A'], ['begin_repeat', 'b', 'B', 'B'], ['text', 'c', 'C', 'C'], ['end_repeat'], ['end_repeat']]));
    expect(problems.join('\n')).toMatch(/survey row 3: repeat "b" inside repeat "a" is not supported: the chat engine cannot nest repeats/);
  });

  it('--skip-unsupported imports the rest and lists exactly what was left out, with what depended only on it', async () => {
    const spec = form([
      ['text', 'nama', 'Nama?', 'Name?'],
      ['barcode', 'kode', 'Pindai', 'Scan'],
      ['text', 'catatan', 'Catatan kode?', 'Note on the code?', "${kode} != ''"],
      ['calculate', 'harga', null, null, null, null, null, null, "pulldata('h', 'h', 'k', ${nama})"],
      ['note', 'lihat_harga', 'Harga: ${harga}', 'Price: ${harga}'],
      ['calculate', 'total', null, null, null, null, null, null, '${harga} * 2'],
      ['integer', 'jumlah', 'Berapa, ${nama}? (kode ${kode})', 'How many, ${nama}? (code ${kode})', "${total} > 0 or ${nama} != ''"],
      ['text', 'mahal', 'Kenapa mahal?', 'Why so dear?', '${total} > 100'],
      ['integer', 'umur', 'Umur?', 'Age?'],
    ]);
    const result = await convertSpec(spec, { skipUnsupported: true });
    expect(result.flow.questions.map((q) => q.id)).toEqual(['nama', 'jumlah', 'umur']);
    // Each by its row; a chain of what depended only on what was left out goes with it, listed.
    expect(result.skipped).toEqual([
      'form.xlsx: survey row 3: type barcode ("kode") is not supported: a chat cannot scan a barcode',
      'form.xlsx: survey row 4: "catatan" is left out with ${kode}: it is asked only when "${kode} != \'\'", which cannot hold without it',
      "form.xlsx: survey row 5: calculation \"pulldata('h', 'h', 'k', ${nama})\": pulldata() is not supported: reads a CSV file attached to the form on the phone; a chat has no such file",
      'form.xlsx: survey row 6: note "lihat_harga" is left out with ${harga}: its text shows only what was left out',
      'form.xlsx: survey row 7: calculate "total" is left out with ${harga}: its calculation reads only what was left out',
      'form.xlsx: survey row 9: "mahal" is left out with ${total}: it is asked only when "${total} > 100", which cannot hold without it',
    ]);
    // What read a left-out answer beside others keeps it, read as empty, and says so.
    expect(result.flow.questions[1]).toMatchObject({ id: 'jumlah', relevant: "'' > 0 || !isEmpty(answers.nama)" });
    expect(result.texts.id).toMatchObject({ jumlah: { prompt: 'Berapa, {{answers.nama}}? (kode )' } });
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        'survey row 8: relevant "${total} > 0 or ${nama} != \'\'" reads ${total}, which was left out: read as empty',
        'survey row 8: its text shows ${kode}, which was left out: shown empty',
      ]),
    );
    // Nothing of what was left out stays in the texts (flows:check refuses unused texts).
    expect(Object.keys(result.texts.en).sort()).toEqual(['description', 'jumlah', 'nama', 'thanks', 'title', 'umur']);
    await expectRoundTrip(result);
  });

  it('--skip-unsupported never ends in a refusal for what depended on a left-out question; only a form with nothing left', async () => {
    const onlyCsv = form([
      ['select_one l', 'buah', 'Buah?', 'Fruit?', null, null, null, "search('buah')"],
      ['note', 'n', 'Buah ${buah}', 'Fruit ${buah}'],
    ]);
    expect(await refusal(onlyCsv, { skipUnsupported: true })).toEqual([
      "form.xlsx: survey row 2: select_one l with appearance search('buah') is not supported: the choices come from a CSV file attached to the form on the phone; a chat has no such file",
      'form.xlsx: survey row 3: note "n" is left out with ${buah}: its text shows only what was left out',
      'form.xlsx: survey: nothing is left that a chat can ask',
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
    ['a reference to a later question', [['text', 'a', 'A', 'A', "${b} = 'x'"], ['text', 'b', 'B', 'B']], /survey row 2: relevant "\$\{b\} = 'x'" is not supported: it reads \$\{b\} of row 3, which a chat asks later/],
    ['an unknown type', [['textt', 'a', 'A', 'A']], /survey row 2: unknown type "textt"/],
    ['a name with a space', [['text', 'nama kk', 'A', 'A']], /survey row 2: name "nama kk" must start with a letter or _/],
    ['a duplicate choice without allow_choice_duplicates', [['select_one l', 's', 'S', 'S']], /choices row 3: choice "x" appears twice in list "l" \(pyxform allows it only with the settings column allow_choice_duplicates = yes\)/],
    ['no label', [['text', 'a']], /survey row 2: "a" has no label/],
  ])('%s', async (_what, rows, message) => {
    const choices: Cell[][] = _what.startsWith('a duplicate choice') ? [['l', 'x', 'X', 'X'], ['l', 'x', 'X2', 'X2']] : [['l', 'x', 'X', 'X']];
    expect((await refusal(form(rows as Cell[][], choices))).join('\n')).toMatch(message);
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

describe('types and columns as pyxform defines them', () => {
  it('reads its type aliases and other column names', async () => {
    const result = await convertSpec({
      survey: [
        ['command', 'tag', 'caption', 'relevance', 'bind::constraint', 'bind::jr:constraintMsg', 'requiredMsg', 'required'],
        ['phone number', 'hp', 'Nomor HP?', null, "regex(., '^08')", 'Awali dengan 08', 'HP perlu diisi', 'yes'],
        ['gps', 'tempat', 'Di mana?'],
        ['imei', 'perangkat'],
        ['get today', 'hari'],
        ['select one using l', 'pilih', 'Pilih satu', "${hp} != ''"],
        ['select all that apply l', 'banyak', 'Pilih banyak'],
        ['q int', 'jumlah', 'Berapa?'],
        ['add date time prompt', 'kapan', 'Kapan?'],
        ['trigger', 'ok', 'Tekan OK'],
        ['hidden', 'rahasia'],
        ['begin looped group', 'ulang', 'Ulang'],
        ['string', 'isi', 'Isi?'],
        ['end looped group'],
      ],
      choices: [['list name', 'value', 'caption'], ['l', 'a', 'A'], ['l', 'b', 'B']],
    });
    expect(result.warnings.filter((w) => !w.startsWith('en:'))).toEqual([]);
    expect(result.flow.questions.map((q) => [q.id, q.type, q.meta ?? q.relevant ?? q.constraint ?? ''])).toEqual([
      ['hp', 'text', "regex(value, '^08')"],
      ['tempat', 'location', ''],
      ['perangkat', 'meta', 'deviceid'],
      ['hari', 'meta', 'today'],
      ['pilih', 'single', '!isEmpty(answers.hp)'],
      ['banyak', 'multi', ''],
      ['jumlah', 'integer', ''],
      ['kapan', 'datetime', ''],
      ['ok', 'single', ''],
      ['rahasia', 'calculate', ''],
      ['ulang', 'group', ''],
    ]);
    expect(result.flow.questions[0]).toMatchObject({ requiredMessage: 'hp.required', constraintMessage: 'hp.constraint' });
    expect(result.texts.id).toMatchObject({ hp: { required: 'HP perlu diisi', constraint: 'Awali dengan 08' } });
    await expectRoundTrip(result);
  });

  it('required and default may be expressions; a trigger offers its calculation as the default', async () => {
    const result = await convertSpec(
      form([
        ['select_one l', 'status', 'Status?', 'Status?'],
        ['text', 'sebab', 'Sebab?', 'Cause?', null, null, "${status} = 'x'"],
        ['date', 'tgl', 'Tanggal?', 'Date?', null, null, null, null, null, 'today()'],
        ['integer', 'dua', 'Dua kali?', 'Twice?', null, null, null, null, null, '${status} * 2'],
      ], [['l', 'x', 'X', 'X'], ['l', 'y', 'Y', 'Y']]),
    );
    expect(result).toMatchObject({ flow: { questions: [{ id: 'status' }, { id: 'sebab', required: "answers.status == 'x'" }, { id: 'tgl', defaultFrom: 'today()' }, { id: 'dua', defaultFrom: 'answers.status * 2' }] } });
    const trigger = await importXlsForm(await readFixture('pyxform/trigger.xlsx'), 'trigger.xlsx');
    expect(trigger.flow.questions).toEqual([
      { id: 'a', type: 'integer', required: false },
      // No label: set when ${a} changes, never asked; with a label: asked, the calculation its default.
      { id: 'b', type: 'calculate', calculation: '1 + 1' },
      { id: 'c', type: 'datetime', required: false, defaultFrom: 'now()' },
    ]);
    await expectRoundTrip(result);
    await expectRoundTrip(trigger);
  });

  it('parameters randomize and seed; other parameters are named and ignored', async () => {
    const result = await importXlsForm(await readFixture('pyxform/randomize_itemsets.xlsx'), 'randomize.xlsx');
    expect(result.flow.questions).toMatchObject([
      { id: 'select', type: 'single', randomize: true, seed: 42 },
      { id: 'select2', type: 'multi', randomize: true },
    ]);
    expect(result.flow.questions[1]!.seed).toBeUndefined();
    const other = await convertSpec({ survey: [['type', 'name', 'label', 'parameters'], ['select_one l', 's', 'S', 'randomize=true seed=${n} max-pixels=1024']], choices: [['list_name', 'name', 'label'], ['l', 'a', 'A']] }).catch((e: unknown) => e);
    expect(String((other as XlsFormError).problems)).toMatch(/\$\{n\} is not a question/);
    const ok = await convertSpec({
      survey: [['type', 'name', 'label', 'parameters'], ['integer', 'n', 'N'], ['select_one l', 's', 'S', 'randomize=true, seed=${n}, max-pixels=1024']],
      choices: [['list_name', 'name', 'label'], ['l', 'a', 'A']],
    });
    expect(ok.flow.questions[1]).toMatchObject({ randomize: true, seed: 'answers.n' });
    expect(ok.warnings).toContain('survey row 3: parameter "max-pixels" has no meaning in chat: ignored');
    await expectRoundTrip(ok);
  });

  it('label:: and hint:: in any language: used where a row has no Indonesian or English text', async () => {
    const result = await convertSpec({
      survey: [['type', 'name', 'label::Français (fr)', 'hint::Français (fr)', 'label::English (en)'], ['text', 'nom', 'Votre nom ?', 'En lettres', 'Your name?'], ['integer', 'age', 'Votre âge ?']],
    });
    expect(result.texts).toEqual({
      id: { nom: { prompt: 'Your name?', label: 'Your name?', hint: 'En lettres' }, age: { prompt: 'Votre âge ?', label: 'Votre âge ?' }, title: 'form', description: 'form', thanks: expect.any(String) },
      en: { nom: { prompt: 'Your name?', label: 'Your name?', hint: 'En lettres' }, age: { prompt: 'Votre âge ?', label: 'Votre âge ?' }, title: 'form', description: 'form', thanks: expect.any(String) },
    });
    expect(result.warnings).toContain('language "français (fr)" is not offered by the chat (id, en): its texts are used only where a row has no Indonesian or English text');
    const kyrgyz = await importXlsForm(await readFixture('pyxform/translations.xlsx'), 'translations.xlsx');
    expect(kyrgyz.texts.en).toMatchObject({ Have_you_received_informed_con: { prompt: 'A.01 Have you received informed consent from the respondent?' } });
    await expectRoundTrip(result);
  });

  it('choices without labels show their name; names with spaces get a text key of their own; pictures stay with the question', async () => {
    const result = await convertSpec({
      survey: [['type', 'name', 'label', 'media::image'], ['select_one l', 's', 'S', 'peta.jpg'], ['note', 'n', 'Lihat gambar', 'desa.png']],
      choices: [['list_name', 'name', 'label', 'image'], ['l', '1', null, 'satu.jpg'], ['l', 'tidak tahu', 'Tidak tahu']],
    });
    expect(result.flow.questions).toEqual([
      { id: 's', type: 'single', image: 'peta.jpg', required: false, choices: [{ id: '1' }, { id: 'tidak tahu', label: 's.choices.tidak_tahu' }] },
      { id: 'n', type: 'note', image: 'desa.png' },
    ]);
    expect(result.texts.id).toMatchObject({ s: { choices: { 1: '1', tidak_tahu: 'Tidak tahu' } } });
    await expectRoundTrip(result);
  });

  it('duplicate choice names where pyxform allows them (allow_choice_duplicates), told apart by the filter', async () => {
    const result = await importXlsForm(await readFixture('pyxform/choice_filter_test.xlsx'), 'choice_filter_test.xlsx');
    expect(result.flow.questions[1]).toMatchObject({
      id: 'county',
      filter: 'answers.state == item.cf',
      choices: [
        { id: 'king', data: { cf: 'washington' } },
        { id: 'pierce', data: { cf: 'washington' } },
        { id: 'king', label: 'county.choices.king__2', data: { cf: 'texas' } },
        { id: 'cameron', data: { cf: 'texas' } },
      ],
    });
    expect(result.texts.en).toMatchObject({ county: { choices: { king: 'King', king__2: 'King' } } });
  });

  it('names pyxform allows: a dash, a leading _ (read as answers[\'...\'])', async () => {
    const result = await convertSpec(form([['integer', 'umur-kk', 'Umur?', 'Age?'], ['text', '_1', 'Satu?', 'One?', '${umur-kk} > 17']]));
    expect(result.flow.questions[1]).toMatchObject({ id: '_1', relevant: "answers['umur-kk'] > 17" });
    await expectRoundTrip(result);
  });

  it('select_one_external reads the external_choices sheet', async () => {
    const result = await importXlsForm(await readFixture('pyxform/select_one_external.xlsx'), 'select_one_external.xlsx');
    expect(result.flow.questions.map((q) => [q.id, q.type, q.filter])).toEqual([
      ['state', 'single', undefined],
      ['county', 'single', 'item.state == answers.state'],
      ['city', 'single', 'item.state == answers.state && item.county == answers.county'],
    ]);
  });
});
