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

/**
 * A translator for one language, with its texts resolved once per key.
 *
 * Why a cache: i18next's t() copies its whole options object and walks the key's namespace and
 * fallbacks on every call, some 10-40 µs each; a chat step makes dozens of calls (a 20-answer
 * summary about fifty: a label per line, the choices of every single-choice answer) and was
 * mostly i18next. Cached per (i18next instance, language, key):
 *   - the text for a call without options (labels, button words): the finished text;
 *   - the raw template (`skipInterpolation`), to tell whether the options can change anything:
 *     a text without `{{` or `$t(` comes out the same whatever values are passed for it, so a
 *     prompt without placeholders is the cached text too. Options that choose another key or
 *     language (count, context, lng, defaultValue...) always go to i18next;
 *   - a text filled in with plain values (numbers, short strings: "Tulis angka 0 sampai 100000."),
 *     by key and values, a bounded number of them.
 * Emptied when resources are added or removed (addResourceBundle, backends); a `silent` add is
 * not seen. A missing key is looked up (and reported, with saveMissing) once per language.
 */
export function translatorFor(i18n: I18n, lang: string): Translate {
  if (!i18n.store) {
    // Not initialised yet: nothing to watch for changes, so nothing kept.
    const t = i18n.getFixedT(lang);
    return (key, options) => t(key, options ?? {}) as string;
  }
  let byLang = translators.get(i18n);
  if (!byLang) {
    byLang = new Map();
    translators.set(i18n, byLang);
    const forget = () => {
      for (const tr of byLang!.values()) tr.clear();
    };
    i18n.store.on('added', forget);
    i18n.store.on('removed', forget);
    i18n.on('loaded', forget);
  }
  let translator = byLang.get(lang);
  if (!translator) {
    translator = new CachingTranslator(i18n, lang);
    byLang.set(lang, translator);
  }
  return translator.translate;
}

const translators = new WeakMap<I18n, Map<string, CachingTranslator>>();

/** t() options that pick another key, language or form of the text, rather than fill it in. */
const LOOKUP_OPTIONS = new Set([
  'count', 'ordinal', 'context', 'lng', 'lngs', 'fallbackLng', 'ns', 'keyPrefix', 'nsSeparator', 'keySeparator', 'defaultValue',
  'returnObjects', 'returnDetails', 'joinArrays', 'postProcess', 'skipInterpolation', 'replace',
]);

class CachingTranslator {
  private readonly t: ReturnType<I18n['getFixedT']>;
  private readonly texts = new Map<string, string>();
  private readonly templates = new Map<string, unknown>();
  private readonly filled = new Map<string, string>();
  /** Whether a template can be told to hold no placeholders (the default i18next syntax). */
  private readonly templatesKnown: boolean;

  constructor(
    private readonly i18n: I18n,
    lang: string,
  ) {
    this.t = i18n.getFixedT(lang);
    const interpolation = (i18n.options.interpolation ?? {}) as Record<string, unknown>;
    this.templatesKnown =
      !i18n.modules?.i18nFormat &&
      interpolation.prefixEscaped === undefined &&
      interpolation.nestingPrefixEscaped === undefined &&
      typeof (interpolation.prefix ?? '{{') === 'string' &&
      typeof (interpolation.nestingPrefix ?? '$t(') === 'string';
  }

  readonly translate: Translate = (key, options) => {
    if (options === undefined || isEmpty(options)) return this.text(key);
    if (!fillsInOnly(options)) return this.t(key, options) as string;
    if (this.templatesKnown && !this.hasPlaceholders(key)) return this.text(key);
    const filledKey = plainValuesKey(key, options);
    if (filledKey === undefined) return this.t(key, options) as string;
    let text = this.filled.get(filledKey);
    if (text === undefined) {
      text = this.t(key, options) as string;
      if (this.filled.size >= MAX_FILLED) this.filled.clear();
      this.filled.set(filledKey, text);
    }
    return text;
  };

  clear(): void {
    this.texts.clear();
    this.templates.clear();
    this.filled.clear();
  }

  private text(key: string): string {
    let text = this.texts.get(key);
    if (text === undefined) {
      text = this.t(key, {}) as string;
      this.texts.set(key, text);
    }
    return text;
  }

  private hasPlaceholders(key: string): boolean {
    let template = this.templates.get(key);
    if (template === undefined && !this.templates.has(key)) {
      template = this.t(key, { skipInterpolation: true });
      this.templates.set(key, template);
    }
    if (typeof template !== 'string') return true;
    const interpolation = (this.i18n.options.interpolation ?? {}) as { prefix?: string; nestingPrefix?: string };
    return template.includes(interpolation.prefix ?? '{{') || template.includes(interpolation.nestingPrefix ?? '$t(');
  }
}

/** Texts filled in with plain values kept per language: hints and errors with a question's limits. */
const MAX_FILLED = 1000;
const MAX_FILLED_VALUE = 200;

/** The key and values as one string, when every value is a finite number, boolean or short string. */
function plainValuesKey(key: string, options: Record<string, unknown>): string | undefined {
  for (const name in options) {
    const value = options[name];
    if (name === 'interpolation' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) continue;
    if (typeof value === 'string' && value.length <= MAX_FILLED_VALUE) continue;
    return undefined;
  }
  return `${key}\u0000${JSON.stringify(options)}`;
}

function isEmpty(options: Record<string, unknown>): boolean {
  for (const _ in options) return false;
  return true;
}

/** Options that only give values for placeholders (and how to escape them). */
function fillsInOnly(options: Record<string, unknown>): boolean {
  for (const name in options) {
    if (LOOKUP_OPTIONS.has(name) || name.startsWith('defaultValue')) return false;
    if (name === 'interpolation') {
      const interpolation = options.interpolation as Record<string, unknown> | undefined;
      for (const setting in interpolation) if (setting !== 'escapeValue') return false;
    }
  }
  return true;
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
