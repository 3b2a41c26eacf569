/** Import, export, import gives the same flow and texts, for every form in the tests. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { exportFlow, flowToWorkbook } from '../../src/xlsform/export.js';
import { importXlsForm } from '../../src/xlsform/import.js';
import { writeImportedFlow } from '../../src/xlsform/store.js';
import { XlsFormError } from '../../src/xlsform/workbook.js';
import { buildXlsx, CEK_AIR_BERSIH, SURVEI_RUMAH_TANGGA } from '../fixtures/xlsform/forms.js';
import { readdir } from 'node:fs/promises';
import { expectRoundTrip, FIXTURES, importSpec, PYXFORM_FORMS, readFixture, tempDir } from './helpers.js';

const forms: [string, () => Promise<Uint8Array>][] = [
  ...PYXFORM_FORMS.map((name): [string, () => Promise<Uint8Array>] => [name, () => readFixture(name)]),
  ['survei-rumah-tangga', () => buildXlsx(SURVEI_RUMAH_TANGGA)],
  ['cek-air-bersih', () => buildXlsx(CEK_AIR_BERSIH)],
];

describe('round trip', () => {
  it('covers every form file in test/fixtures/xlsform (pyxform/ has its own, in pyxform-forms.test.ts)', async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.xlsx')).sort();
    expect(files).toEqual([...PYXFORM_FORMS, 'survei-rumah-tangga.xlsx', 'cek-air-bersih.xlsx'].sort());
  });

  it.each(forms)('%s: import, export, import gives the same flow', async (name, bytes) => {
    await expectRoundTrip(await importXlsForm(await bytes(), name.endsWith('.xlsx') ? name : `${name}.xlsx`, { roles: ['warga', 'pokja'] }));
  });

  it('writes an XLSForm a facilitator can read: sheets, language columns, lists, settings', async () => {
    const result = await importXlsForm(await buildXlsx(SURVEI_RUMAH_TANGGA), 'survei.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await flowToWorkbook(result.flow, result.texts).xlsx.writeBuffer()) as ExcelJS.Buffer);
    const survey = wb.getWorksheet('survey')!;
    const header = (survey.getRow(1).values as unknown[]).slice(1);
    expect(header).toEqual(expect.arrayContaining(['type', 'name', 'label::Bahasa Indonesia (id)', 'label::English (en)', 'relevant', 'constraint', 'choice_filter', 'repeat_count']));
    const rows = survey.getSheetValues().slice(2).map((r) => (r as unknown[]).slice(1));
    const col = (n: string) => header.indexOf(n);
    const desa = rows.find((r) => r[col('name')] === 'desa')!;
    expect(desa[col('type')]).toBe('select_one desa');
    expect(desa[col('choice_filter')]).toBe('kecamatan = ${kecamatan}');
    const umur = rows.find((r) => r[col('name')] === 'jumlah_anggota')!;
    expect(umur[col('label::Bahasa Indonesia (id)')]).toBe('Berapa orang tinggal di rumah ${nama_kk}?');
    expect(umur[col('constraint')]).toBe('. >= 1 and . <= 20');
    expect(rows.find((r) => r[col('name')] === 'anggota')![col('repeat_count')]).toBe('${jumlah_anggota}');
    expect(wb.getWorksheet('settings')!.getRow(2).getCell(2).value).toBe('survei-rumah-tangga');
  });

  it('exports a flow from the flows folder, and refuses what XLSForm cannot say', async () => {
    const root = await tempDir('xlsform-export');
    const dirs = { flowsDir: path.join(root, 'flows'), localesDir: path.join(root, 'locales') };
    await mkdir(dirs.flowsDir, { recursive: true });
    const result = await importXlsForm(await buildXlsx(CEK_AIR_BERSIH), 'cek.xlsx');
    await writeImportedFlow(result, dirs);
    const back = await importXlsForm(await exportFlow('cek', dirs), 'cek.xlsx');
    expect(back.flow).toEqual(result.flow);
    await expect(exportFlow('tidak-ada', dirs)).rejects.toThrow(/tidak-ada: no such flow/);

    const handWritten = { id: 'x', version: 1, roles: ['warga'], questions: [{ id: 'desa', type: 'single', choicesFrom: 'villages' }, { id: 'ok', type: 'yesno' }] };
    const err = (() => {
      try {
        flowToWorkbook(handWritten, { id: {}, en: {} });
      } catch (e) {
        return e as XlsFormError;
      }
      return undefined;
    })();
    expect(err?.problems).toEqual(['x.yaml: desa: choicesFrom has no XLSForm equivalent', 'x.yaml: ok: yesno: write it as select_one with yes/no choices']);
  });
});

describe('audio', () => {
  it('an XLSForm audio question imports as a voice-note question (optional unless required) and exports back as audio', async () => {
    const result = await importSpec({
      survey: [['type', 'name', 'label::Bahasa Indonesia (id)', 'label::English (en)', 'required'], ['audio', 'cerita', 'Ceritakan kejadiannya', 'Tell what happened', null], ['audio', 'wajib', 'Rekam nama', 'Record the name', 'yes']],
    });
    expect(result.flow.questions).toEqual([{ id: 'cerita', type: 'audio' }, { id: 'wajib', type: 'audio', required: true }]);
    await expectRoundTrip(result);
  });
});
