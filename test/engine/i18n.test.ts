/** Every text the engine and the flows use exists in both languages, and nothing is left unused. */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINE_NAMESPACE, ENGINE_TRANSLATION_KEYS, usedTranslationKeys } from '../../src/engine/index.js';
import { LANGS, ROOT, readLocales, shippedFlows } from './helpers.js';
import { flattenKeys } from '../../src/i18n.js';

const locales = readLocales();
const flows = [...(await shippedFlows()).values()];
/** "ns:key" -> text, per language, for the namespaces this engine owns. */
const ownNamespaces = [ENGINE_NAMESPACE, ...flows.map((f) => f.namespace)];
const texts = Object.fromEntries(
  LANGS.map((lang) => {
    const map = new Map<string, unknown>();
    for (const ns of ownNamespaces) for (const [k, v] of flattenKeys(locales[lang]![ns] ?? {})) map.set(`${ns}:${k}`, v);
    return [lang, map];
  }),
) as Record<(typeof LANGS)[number], Map<string, unknown>>;

const used = [...ENGINE_TRANSLATION_KEYS, ...flows.flatMap((f) => usedTranslationKeys(f))];

describe('translations', () => {
  it.each(LANGS)('every key used exists as text in %s', (lang) => {
    const missing = used.filter((k) => typeof texts[lang].get(k) !== 'string' || (texts[lang].get(k) as string).trim() === '');
    expect(missing).toEqual([]);
  });

  it.each(LANGS)('no key in %s is unused', (lang) => {
    const usedSet = new Set(used);
    expect([...texts[lang].keys()].filter((k) => !usedSet.has(k))).toEqual([]);
  });

  it('both languages use the same {{placeholders}} in each text', () => {
    const placeholders = (s: unknown): string => [...String(s).matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]).sort().join(',');
    const differ = used.filter((k) => placeholders(texts.id.get(k)) !== placeholders(texts.en.get(k)));
    expect(differ).toEqual([]);
  });

  it('usedTranslationKeys names keys as "namespace:key"', () => {
    const keys = usedTranslationKeys(flows.find((f) => f.id === 'daftar')!);
    expect(keys).toContain('daftar:consent.prompt');
    expect(keys).toContain('daftar:consent.declined');
    expect(keys).toContain('daftar:role.choices.pokja');
    expect(keys).toContain('daftar:role_code.invalid');
    expect(keys).not.toContain('daftar:privacy.label'); // notes have no label
  });

  it('scripts/flows-check.ts passes on the shipped flows', () => {
    const out = execFileSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/flows-check.ts'], { cwd: ROOT, encoding: 'utf8' });
    // As many flows as it names (the engine's texts are not one of them).
    const shipped = readdirSync(path.join(ROOT, 'flows')).filter((f) => /\.ya?ml$/.test(f)).map((f) => f.replace(/\.ya?ml$/, '')).sort();
    expect(shipped).toEqual(expect.arrayContaining(['daftar', 'kemajuan-kegiatan', 'laporan-risiko', 'profil-desa']));
    expect(out.trim()).toBe(`flows:check: ${shipped.length} flow(s) OK (${shipped.join(', ')}); engine texts OK`);
  });

  it('scripts/flows-check.ts names each problem and exits 1', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flows-check-'));
    try {
      const flowsDir = path.join(dir, 'flows');
      mkdirSync(flowsDir);
      for (const lang of LANGS) {
        mkdirSync(path.join(dir, 'locales', lang), { recursive: true });
        copyFileSync(path.join(ROOT, 'locales', lang, 'engine.json'), path.join(dir, 'locales', lang, 'engine.json'));
      }
      copyFileSync(path.join(ROOT, 'flows/laporan-risiko.yaml'), path.join(flowsDir, 'laporan-risiko.yaml'));
      writeFileSync(path.join(flowsDir, 'rusak.yaml'), 'id: rusak\nversion: 1\nroles: [warga]\nquestions:\n  - id: a\n    type: text\n    relevant: "answers.b"\n');
      const id = JSON.parse(readFileSync(path.join(ROOT, 'locales/id/laporan-risiko.json'), 'utf8'));
      delete id.help.label;
      id.unused = 'x';
      writeFileSync(path.join(dir, 'locales/id/laporan-risiko.json'), JSON.stringify(id));
      copyFileSync(path.join(ROOT, 'locales/en/laporan-risiko.json'), path.join(dir, 'locales/en/laporan-risiko.json'));
      const run = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/flows-check.ts', flowsDir, path.join(dir, 'locales')], { cwd: ROOT, encoding: 'utf8' });
      expect(run.status).toBe(1);
      const lines = run.stdout.trim().split('\n');
      expect(lines).toContain('rusak.yaml: a: relevant: "answers.b": answers.b is not an earlier question');
      expect(lines).toContain('laporan-risiko.yaml: help: label key "help.label" missing in locales/id/laporan-risiko.json');
      expect(lines).toContain('laporan-risiko.yaml: (flow): key "unused" in locales/id/laporan-risiko.json is not used by the flow');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
