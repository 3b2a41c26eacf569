/**
 * Real forms from the XLSForm project's own test suite (pyxform, see test/fixtures/xlsform/pyxform):
 * each imports (with skipUnsupported where it has a widget a chat cannot show, leaving out exactly
 * those rows), passes flows:check, survives import -> export -> import, and is answered in chat.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importXlsForm, type ImportResult } from '../../src/xlsform/import.js';
import { writeImportedFlow } from '../../src/xlsform/store.js';
import { compile, EngineChat, expectRoundTrip, readFixture, ROOT, tempDir, translator } from './helpers.js';
import { readWorkbook } from '../../src/xlsform/workbook.js';
import { convert } from '../../src/xlsform/import.js';

/** Each form, and the rows a chat cannot ask (left out with skipUnsupported). */
const REAL_FORMS: [string, string[]][] = [
  ['calculate.xlsx', []],
  ['cascading_select_test_equivalent.xlsx', []],
  ['choice_filter_test.xlsx', []],
  ['new_cascading_select.xlsx', []],
  ['or_other.xlsx', []],
  ['tutorial.xlsx', []],
  ['repeat_date_test.xlsx', []],
  ['table-list.xlsx', []],
  ['group.xlsx', []],
  ['sms_info.xlsx', []],
  ['xml_escaping.xlsx', []],
  ['select_one_external.xlsx', []],
  ['hidden.xlsx', []],
  ['gps.xlsx', []],
  ['trigger.xlsx', []],
  ['randomize_itemsets.xlsx', []],
  ['indexed_repeat.xlsx', []],
  ['translations.xlsx', []],
  ['required_expression.xlsx', []],
  [
    'widgets.xlsx',
    [
      'widgets.xlsx: survey row 12: type barcode ("my_barcode") is not supported: a chat cannot scan a barcode',
      'widgets.xlsx: survey row 15: type video ("my_video") is not supported: the chat receives photos, not videos',
    ],
  ],
  [
    'xlsform_spec_test.xlsx',
    [
      'xlsform_spec_test.xlsx: survey row 10: "display_image_test" with a picture and no text is not supported: the chat cannot send pictures yet, so there is nothing to show',
      'xlsform_spec_test.xlsx: survey row 35: type barcode ("barcode_test") is not supported: a chat cannot scan a barcode',
      'xlsform_spec_test.xlsx: survey row 38: type video ("video_test") is not supported: the chat receives photos, not videos',
    ],
  ],
];

async function importReal(name: string): Promise<ImportResult> {
  const skip = REAL_FORMS.find(([n]) => n === name)![1].length > 0;
  // Several of pyxform's forms share a form_id: each is named by its file here.
  return importXlsForm(await readFixture(`pyxform/${name}`), name, { skipUnsupported: skip, id: name.replace(/\.xlsx$/, '').replace(/_/g, '-') });
}

describe('real forms from pyxform’s test suite', () => {
  it.each(REAL_FORMS)('%s imports, leaving out only what a chat cannot ask', async (name, leftOut) => {
    if (leftOut.length > 0) {
      // Without skipUnsupported: refused with the same rows.
      const err = await importXlsForm(await readFixture(`pyxform/${name}`), name).catch((e: unknown) => e);
      expect((err as { problems: string[] }).problems).toEqual([...leftOut, '(import the rest with --skip-unsupported)']);
    }
    const result = await importReal(name);
    expect(result.skipped).toEqual(leftOut);
    expect(compile(result).questions.length).toBeGreaterThan(0);
  });

  it('the round trip below covers every form in test/fixtures/xlsform/pyxform but the two whose every question needs a CSV file', async () => {
    const files = (await readdir(path.join(ROOT, 'test', 'fixtures', 'xlsform', 'pyxform'))).filter((f) => f.endsWith('.xlsx')).sort();
    // pull_data and search_and_select are refused whole ("nothing is left that a chat can ask"): tested below and in import.test.ts.
    expect([...REAL_FORMS.map(([n]) => n), 'pull_data.xlsx', 'search_and_select.xlsx'].sort()).toEqual(files);
  });

  it.each(REAL_FORMS)('%s: import, export, import gives the same flow', async (name) => {
    await expectRoundTrip(await importReal(name));
  });

  it('all of them pass flows:check, which counts them right', async () => {
    const root = await tempDir('pyxform-forms');
    const dirs = { flowsDir: path.join(root, 'flows'), localesDir: path.join(root, 'locales') };
    for (const lang of ['id', 'en']) {
      await mkdir(path.join(dirs.localesDir, lang), { recursive: true });
      await copyFile(path.join(ROOT, 'locales', lang, 'engine.json'), path.join(dirs.localesDir, lang, 'engine.json'));
    }
    await mkdir(dirs.flowsDir, { recursive: true });
    for (const [name] of REAL_FORMS) await writeImportedFlow(await importReal(name), dirs);
    const out = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'flows-check.ts'), dirs.flowsDir, dirs.localesDir], { cwd: ROOT }, (err, stdout) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout }),
      );
    });
    expect(out.code).toBe(0);
    expect(out.out).toMatch(new RegExp(`^flows:check: ${REAL_FORMS.length} flow\\(s\\) OK \\(([a-z0-9-]+, ){${REAL_FORMS.length - 1}}[a-z0-9-]+\\); engine texts OK\\n$`));
  }, 60_000);

  it('pull_data: what needs the CSV file goes, with the note showing it; with nothing left, one clear refusal', async () => {
    const sheets = await readWorkbook(await readFixture('pyxform/pull_data.xlsx'), 'pull_data.xlsx');
    const err = (() => {
      try {
        convert(sheets, 'pull_data.xlsx', { skipUnsupported: true });
      } catch (e) {
        return e as { problems: string[] };
      }
      return undefined;
    })();
    expect(err?.problems).toEqual([
      "pull_data.xlsx: survey row 2: calculation \"pulldata('fruits', 'name','name', 'mango')\": pulldata() is not supported: reads a CSV file attached to the form on the phone; a chat has no such file",
      'pull_data.xlsx: survey row 3: note "note_fruite" is left out with ${fruit}: its text shows only what was left out',
      'pull_data.xlsx: survey: nothing is left that a chat can ask',
    ]);
    // The same rows and one question a chat can ask: imported.
    sheets.survey.rows.push({ row: 4, cells: { type: 'text', name: 'why', label: 'Why?' } });
    const result = convert(sheets, 'pull_data.xlsx', { skipUnsupported: true });
    expect(result.flow.questions).toEqual([{ id: 'why', type: 'text', required: false }]);
    expect(result.skipped).toEqual(err!.problems.slice(0, 2));
  });
});

describe('real forms answered at the engine level', () => {
  const choices = (c: EngineChat): string[] | undefined => c.prompt.choices?.map((x) => x.label).filter((l) => !l.startsWith('Lewati'));
  async function chat(name: string, lang: 'id' | 'en' = 'id'): Promise<EngineChat> {
    const result = await importReal(name);
    return new EngineChat(compile(result), await translator({ [result.id]: result.texts }, lang)).start();
  }

  it('choice_filter_test: a cascade whose list repeats a name (allow_choice_duplicates) offers the right "king"', async () => {
    const c = await chat('choice_filter_test.xlsx');
    c.press('Texas');
    expect(choices(c)).toEqual(['King', 'Cameron']);
    c.press('King');
    // ${county} = cf: the cities of a "king" (Dumont, Finney, Seattle, Redmond: the form says so).
    expect(choices(c)).toEqual(['Dumont', 'Finney', 'Seattle', 'Redmond']);
    c.press('Finney');
    c.press('Kirim');
    expect(c.submitted).toEqual({ state: 'texas', county: 'king', city: 'finney' });
  });

  it('required_expression: required when the expression holds, with its own message', async () => {
    const dead = await chat('required_expression.xlsx');
    dead.say('dead');
    dead.say('lewati');
    expect(dead.text).toContain('required, dead');
    dead.say('sudah');
    expect(dead.prompt.text).toContain('Periksa jawaban');
    const alive = await chat('required_expression.xlsx');
    alive.say('alive');
    expect(alive.prompt.text).toContain('Ketik LEWATI');
    alive.say('lewati');
    alive.press('Kirim');
    expect(alive.submitted).toEqual({ foo: 'alive', text: null });
  });

  it('trigger: a datetime answered in one message ("besok jam 9"), or the date and then the time; now() offered as its default', async () => {
    const c = await chat('trigger.xlsx');
    c.say('3');
    // 27 November 2026, 11.00 in Jayapura (02:00 UTC).
    expect(c.prompt.choices?.map((x) => x.label)).toContain('Lewati (27 November 2026 11.00)');
    c.say('besok jam 9');
    expect(c.prompt.text).toContain('C: 28 November 2026 09.00');
    c.press('Ubah');
    c.press('C');
    c.say('17-09-2024');
    expect(c.prompt.text).toContain('Tanggal 17 September 2024. Jam berapa?');
    c.say('jam 2 siang');
    c.press('Kirim');
    expect(c.submitted).toEqual({ a: 3, b: 2, c: '2024-09-17T05:00:00.000Z' });
  });

  it('randomize_itemsets: choices shuffled with seed 42, the same order for every run; unseeded, the same order within a run', async () => {
    const a = await chat('randomize_itemsets.xlsx');
    // Park-Miller with seed 42: 42 * 16807 mod (2^31 - 1) = 705894, (705894 - 1) / (2^31 - 2) < 0.5: the two swap.
    expect(choices(a)).toEqual(['opt_b', 'opt_a']);
    a.say('1');
    const order = a.prompt.choices!.slice(0, 2).map((x) => x.label);
    a.say('1');
    a.press('Kirim');
    expect(a.submitted).toEqual({ select: 'b', select2: [order[0] === 'opt_a' ? 'a' : 'b'] });
  });

  it('indexed_repeat: position(..) and indexed-repeat() read the item before', async () => {
    const c = await chat('indexed_repeat.xlsx');
    c.say('Siti');
    c.press('Ya');
    c.say('Abdul');
    c.press('Tidak');
    c.press('Kirim');
    expect(c.submitted).toEqual({
      person: [
        { pos: 1, name: 'Siti', prev_name: '' },
        { pos: 2, name: 'Abdul', prev_name: 'Siti' },
      ],
    });
  });

  it('xlsform_spec_test: names with a dash, a counted repeat, acknowledge, metadata, texts in English', async () => {
    const c = await chat('xlsform_spec_test.xlsx', 'en');
    c.press('No'); // skip_to_end
    c.say('Rahman');
    expect(c.text).toContain('Your name is Rahman');
    c.say('rahman@example.org');
    expect(c.text).toContain('You entered an email address');
    c.say('text');
    c.press('Yes'); // autocomplete_test
    c.press('No');
    c.say('5');
    c.say('7');
    expect(c.text).toContain('not accepted');
    c.say('4,5');
    for (const n of [1, 2]) {
      expect(c.prompt.text).toContain(`repeat_test #${n}:`);
      c.say(`wajib ${n}`);
      c.say('1, 2');
      expect(c.text).toContain("Sorry Rahman, you can't select yes and no.");
      c.say('1');
      c.press('Yes'); // label-test
      c.press('No'); // list-nolabel-test
      c.press('Yes');
      c.say('a');
      c.say('b');
    }
    c.press('OK');
    for (let i = 0; i < 4; i++) c.say('skip'); // date, time, datetime, geopoint
    c.say('skip'); // image
    c.say('skip'); // audio
    c.say('skip'); // _1
    c.say('skip'); // False
    c.say('3'); // launch (the external app's question, asked here)
    c.press('Send');
    expect(c.submitted).toMatchObject({
      skip_to_end: 'no',
      my_name: 'Rahman',
      a_decimal: 4.5,
      repeat_test: [
        { required_text: 'wajib 1', select_multiple_test: ['yes'], 'label-test': 'yes', 'list-nolabel-test': 'no', 'compact-test': 'a', 'compact-2-test': 'b' },
        { required_text: 'wajib 2', select_multiple_test: ['yes'], 'label-test': 'yes' },
      ],
      acknowledge_test: 'OK',
      calculate_test: 4,
      deviceid: 'web:tester',
      launch: 3,
    });
  });
});
