/**
 * Versions: re-importing a changed form archives the old version (flow and texts) and writes the
 * next; a run started on the old version finishes on it; loadFlowVersions returns every version.
 */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFlowVersions } from '../../src/engine/versions.js';
import { writeImportedFlow } from '../../src/xlsform/store.js';
import type { FormSpec } from '../fixtures/xlsform/forms.js';
import { EngineChat, importSpec, ROOT, tempDir, translator } from './helpers.js';

const v1: FormSpec = {
  survey: [
    ['type', 'name', 'label::Bahasa Indonesia (id)', 'label::English (en)', 'required'],
    ['text', 'nama', 'Nama Anda?', 'Your name?', 'yes'],
    ['select_one panen', 'panen', 'Bagaimana panen pala tahun ini?', 'How was the nutmeg harvest this year?', 'yes'],
  ],
  choices: [
    ['list_name', 'name', 'label::Bahasa Indonesia (id)', 'label::English (en)'],
    ['panen', 'baik', 'Baik', 'Good'],
    ['panen', 'buruk', 'Buruk', 'Poor'],
  ],
  settings: [['form_id', 'form_title'], ['panen_pala', 'Panen pala']],
};
const v2: FormSpec = {
  ...v1,
  survey: [...v1.survey.slice(0, 2), ['integer', 'pohon', 'Berapa pohon pala?', 'How many nutmeg trees?', 'yes'], v1.survey[2]!],
  choices: [...v1.choices!, ['panen', 'sedang', 'Sedang', 'Average']],
};

async function dirs() {
  const root = await tempDir('xlsform-versions');
  const flowsDir = path.join(root, 'flows');
  const localesDir = path.join(root, 'locales');
  await mkdir(flowsDir, { recursive: true });
  for (const lang of ['id', 'en']) {
    await mkdir(path.join(localesDir, lang), { recursive: true });
    await cp(path.join(ROOT, 'locales', lang, 'engine.json'), path.join(localesDir, lang, 'engine.json'));
  }
  return { flowsDir, localesDir };
}

describe('flow versions', () => {
  it('archives the old version on a changed import, keeps an identical one, and loads them all', async () => {
    const d = await dirs();
    const first = await writeImportedFlow(await importSpec(v1, 'panen.xlsx'), d);
    expect(first).toMatchObject({ id: 'panen-pala', version: 1, status: 'new' });
    expect(await writeImportedFlow(await importSpec(v1, 'panen.xlsx'), d)).toMatchObject({ version: 1, status: 'unchanged' });

    const second = await writeImportedFlow(await importSpec(v2, 'panen.xlsx'), d);
    expect(second).toMatchObject({ version: 2, status: 'updated', archived: 1 });
    const archived = await readFile(path.join(d.flowsDir, 'versions', 'panen-pala', 'v1.yaml'), 'utf8');
    expect(archived).toContain('namespace: panen-pala@v1');
    expect(JSON.parse(await readFile(path.join(d.localesDir, 'id', 'panen-pala@v1.json'), 'utf8'))).toMatchObject({ panen: { choices: { baik: 'Baik' } } });
    expect(JSON.parse(await readFile(path.join(d.localesDir, 'en', 'panen-pala.json'), 'utf8'))).toMatchObject({ pohon: { prompt: 'How many nutmeg trees?' } });

    const versions = await loadFlowVersions(d.flowsDir);
    expect(versions.current.get('panen-pala')?.version).toBe(2);
    expect([...versions.all.get('panen-pala')!.keys()].sort()).toEqual([1, 2]);
    expect(versions.flowForRun('panen-pala', 1)?.namespace).toBe('panen-pala@v1');
    expect(versions.flowForRun('panen-pala', 2)?.namespace).toBe('panen-pala');
    expect(versions.flowForRun('panen-pala', 9)?.version).toBe(2); // gone: the current one
    expect(versions.flowForRun('nothing', 1)).toBeUndefined();

    // A third version goes on counting.
    const v3 = { ...v2, survey: v2.survey.slice(0, 3) };
    expect(await writeImportedFlow(await importSpec(v3, 'panen.xlsx'), d)).toMatchObject({ version: 3, archived: 2 });
  });

  it('a run started on version 1 finishes on version 1, with its own labels, after version 2 arrives', async () => {
    const d = await dirs();
    await writeImportedFlow(await importSpec(v1, 'panen.xlsx'), d);
    const before = await loadFlowVersions(d.flowsDir);
    const texts = async (ns: string) => ({
      id: JSON.parse(await readFile(path.join(d.localesDir, 'id', `${ns}.json`), 'utf8')),
      en: JSON.parse(await readFile(path.join(d.localesDir, 'en', `${ns}.json`), 'utf8')),
    });
    const chat = new EngineChat(before.current.get('panen-pala')!, await translator({ 'panen-pala': await texts('panen-pala') })).start();
    chat.say('Bu Ani');

    await writeImportedFlow(await importSpec(v2, 'panen.xlsx'), d);
    const after = await loadFlowVersions(d.flowsDir);
    const t = await translator({ 'panen-pala': await texts('panen-pala'), 'panen-pala@v1': await texts('panen-pala@v1') });
    // The service picks the run's own version: no "how many trees?" appears in the middle.
    const resumed = new EngineChat(after.flowForRun('panen-pala', chat.state.flowVersion)!, t);
    resumed.state = chat.state;
    resumed.last = chat.last;
    resumed.press('Baik');
    expect(resumed.text).toContain('Bagaimana panen pala tahun ini?: Baik');
    resumed.press('Kirim');
    expect(resumed.submitted).toEqual({ nama: 'Bu Ani', panen: 'baik' });
    expect(resumed.state.flowVersion).toBe(1);

    // A new run takes version 2.
    const fresh = new EngineChat(after.current.get('panen-pala')!, t).start();
    fresh.say('Pak Udin');
    expect(fresh.text).toContain('Berapa pohon pala?');
  });

  it('flows:check checks archived versions too', async () => {
    const d = await dirs();
    await writeImportedFlow(await importSpec(v1, 'panen.xlsx'), d);
    await writeImportedFlow(await importSpec(v2, 'panen.xlsx'), d);
    const { execFile } = await import('node:child_process');
    const run = () =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'flows-check.ts'), d.flowsDir, d.localesDir], { cwd: ROOT }, (err, stdout) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout }),
        );
      });
    expect(await run()).toMatchObject({ code: 0, out: expect.stringContaining('panen-pala@v1') });
    // Break the archived texts: the check must say so.
    await writeFile(path.join(d.localesDir, 'en', 'panen-pala@v1.json'), '{}');
    const broken = await run();
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('versions/panen-pala/v1.yaml: nama: prompt key "nama.prompt" missing in locales/en/panen-pala@v1.json');
  });
});
