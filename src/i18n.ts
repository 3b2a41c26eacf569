/**
 * Translations: every JSON file in locales/<lang>/ is an i18next namespace (one per flow,
 * `engine` for the engine, `bot` for the conversation service). Indonesian first.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import i18next, { type i18n as I18n, type Resource } from 'i18next';
import { localesDir } from './paths.js';

export const SUPPORTED_LANGUAGES = ['id', 'en'] as const;
export type SupportedLanguage = (typeof SUPPORTED_LANGUAGES)[number];

export type Translate = (key: string, options?: Record<string, unknown>) => string;

export async function readLocaleResources(dir = localesDir): Promise<Resource> {
  const resources: Resource = {};
  for (const lang of SUPPORTED_LANGUAGES) {
    resources[lang] = {};
    for (const file of (await readdir(join(dir, lang))).filter((f) => f.endsWith('.json'))) {
      resources[lang][file.replace(/\.json$/, '')] = JSON.parse(await readFile(join(dir, lang, file), 'utf8'));
    }
  }
  return resources;
}

export async function createI18n(dir = localesDir): Promise<I18n> {
  const instance = i18next.createInstance();
  const resources = await readLocaleResources(dir);
  await instance.init({
    resources,
    lng: 'id',
    fallbackLng: 'id',
    supportedLngs: [...SUPPORTED_LANGUAGES],
    ns: Object.keys(resources.id ?? {}),
    defaultNS: 'bot',
    // Chat text is plain; channel adapters escape for their own markup.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return instance;
}

export function translatorFor(i18n: I18n, lang: string): Translate {
  const t = i18n.getFixedT(lang);
  return (key, options) => t(key, options ?? {}) as string;
}

/** Flattens nested locale JSON into dotted keys ("menu.prompt"), the way i18next resolves them. */
export function flattenKeys(obj: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flattenKeys(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, obj);
  }
  return out;
}
