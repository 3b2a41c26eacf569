/**
 * The conversation service's own texts (namespace "bot"): every key the code uses exists in
 * both languages, and no locale key is left that nothing uses.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flattenKeys } from '../../src/i18n.js';
import { projectRoot } from '../../src/paths.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const flatten = (obj: unknown): string[] => [...flattenKeys(obj).keys()];

const code = sourceFiles(join(projectRoot, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
/** Literal keys: t('bot:menu.prompt'). Template keys: t(`bot:roles.${role}`) use a prefix. */
const literal = new Set([...code.matchAll(/['"`]bot:([a-zA-Z0-9_.]+)['"`]/g)].map((m) => m[1]!));
const prefixes = [...code.matchAll(/`bot:([a-zA-Z0-9_.]+\.)\$\{/g)].map((m) => m[1]!);

describe('bot texts', () => {
  for (const lang of ['id', 'en']) {
    const keys = flatten(JSON.parse(readFileSync(join(projectRoot, 'locales', lang, 'bot.json'), 'utf8')));
    it(`${lang}: every key used in code exists`, () => {
      expect([...literal].filter((k) => !keys.includes(k))).toEqual([]);
      for (const prefix of prefixes) expect(keys.some((k) => k.startsWith(prefix)), prefix).toBe(true);
    });
    it(`${lang}: every key is used`, () => {
      expect(keys.filter((k) => !literal.has(k) && !prefixes.some((p) => k.startsWith(p)))).toEqual([]);
    });
  }

  it('both languages have the same keys', () => {
    const [id, en] = ['id', 'en'].map((l) => flatten(JSON.parse(readFileSync(join(projectRoot, 'locales', l, 'bot.json'), 'utf8'))).sort());
    expect(en).toEqual(id);
  });

  it('role and language names cover every role and language', () => {
    const id = JSON.parse(readFileSync(join(projectRoot, 'locales', 'id', 'bot.json'), 'utf8'));
    expect(Object.keys(id.roles).sort()).toEqual(['admin', 'fasilitator', 'pokja', 'warga']);
    expect(Object.keys(id.languages).sort()).toEqual(['en', 'id']);
  });
});

describe('Telegram adapter texts', () => {
  it('translate exactly the words the adapter adds itself, in both languages', async () => {
    const { DEFAULT_TELEGRAM_TEXTS } = await import('../../src/channels/telegram/index.js');
    const read = (lang: string) => JSON.parse(readFileSync(join(projectRoot, 'locales', lang, 'telegram.json'), 'utf8')) as Record<string, string>;
    const translated = ['shareLocation', 'locationPlaceholder', 'expired', 'tapOrType'];
    for (const lang of ['id', 'en']) {
      expect(Object.keys(read(lang)).sort()).toEqual([...translated].sort());
      for (const key of translated) expect(Object.keys(DEFAULT_TELEGRAM_TEXTS)).toContain(key);
      expect(read(lang).locationPlaceholder?.length ?? 0).toBeLessThanOrEqual(64); // Telegram's limit
    }
    expect(read('en').shareLocation).not.toBe(read('id').shareLocation);
  });
});
