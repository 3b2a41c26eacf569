/** translatorFor keeps resolved texts: what it returns must be what i18next itself returns. */
import { describe, expect, it } from 'vitest';
import { createI18n, flattenKeys, readLocaleResources, SUPPORTED_LANGUAGES, translatorFor } from '../../src/i18n.js';

const resources = await readLocaleResources();

/** Every "ns:key" of the shipped locales. */
const keys = Object.entries(resources.id ?? {}).flatMap(([ns, texts]) => [...flattenKeys(texts).keys()].map((k) => `${ns}:${k}`));

/** Options as the engine and the service pass them: none, values, values with objects, and lookups. */
const optionSets: (Record<string, unknown> | undefined)[] = [
  undefined,
  {},
  { interpolation: { escapeValue: false } },
  { min: 1, max: 100000, interpolation: { escapeValue: false } },
  { count: 3, flow: 'Survei', name: 'Ani', value: '1,5', n: 2 },
  { answers: { name: 'Ani', village: 'Waru' }, interpolation: { escapeValue: false } },
  { count: 1 },
  { defaultValue: 'bawaan {{x}}', x: 'y' },
];

describe('translatorFor', () => {
  it.each(SUPPORTED_LANGUAGES)('gives what i18next gives, for every shipped key and kind of options (%s), twice', async (lang) => {
    const i18n = await createI18n();
    const plain = i18n.getFixedT(lang);
    const t = translatorFor(i18n, lang);
    for (const round of [1, 2]) {
      for (const key of [...keys, 'engine:no.such.key']) {
        for (const options of optionSets) {
          expect(t(key, options), `${key} ${JSON.stringify(options)} (round ${round})`).toBe(plain(key, { ...options }));
        }
      }
    }
  });

  it('is the same translator for the same instance and language', async () => {
    const i18n = await createI18n();
    expect(translatorFor(i18n, 'id')).toBe(translatorFor(i18n, 'id'));
    expect(translatorFor(i18n, 'en')).not.toBe(translatorFor(i18n, 'id'));
  });

  it('forgets texts when resources change', async () => {
    const i18n = await createI18n();
    const t = translatorFor(i18n, 'id');
    i18n.addResourceBundle('id', 'survei', { q: { prompt: 'Lama', hint: 'Angka {{min}}' } }, true, true);
    expect(t('survei:q.prompt')).toBe('Lama');
    expect(t('survei:q.prompt', { answers: {} })).toBe('Lama');
    expect(t('survei:q.hint', { min: 1 })).toBe('Angka 1');
    i18n.addResourceBundle('id', 'survei', { q: { prompt: 'Baru {{answers.name}}', hint: 'Nilai {{min}}' } }, true, true);
    expect(t('survei:q.prompt')).toBe('Baru {{answers.name}}');
    expect(t('survei:q.prompt', { answers: { name: 'Ani' } })).toBe('Baru Ani');
    expect(t('survei:q.hint', { min: 1 })).toBe('Nilai 1');
    i18n.removeResourceBundle('id', 'survei');
    expect(t('survei:q.prompt')).toBe(i18n.getFixedT('id')('survei:q.prompt'));
  });

  it('fills a cached template with new values each time', async () => {
    const i18n = await createI18n();
    const t = translatorFor(i18n, 'id');
    i18n.addResourceBundle('id', 'survei', { limit: 'Dari {{min}} sampai {{max}}' }, true, true);
    expect(t('survei:limit', { min: 1, max: 5 })).toBe('Dari 1 sampai 5');
    expect(t('survei:limit', { min: 2, max: 5 })).toBe('Dari 2 sampai 5');
    expect(t('survei:limit', { min: '1', max: 5 })).toBe('Dari 1 sampai 5');
    expect(t('survei:limit', { min: { toString: () => 'x' }, max: 5 })).toBe('Dari x sampai 5');
  });
});
