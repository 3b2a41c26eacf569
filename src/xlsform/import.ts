/**
 * XLSForm (KoBoToolbox, ODK, SurveyCTO) -> a Suara Desa flow: the flow's YAML object and its
 * texts per language. A library function (the CLI, scripts/flows-import.ts, and later the
 * workspace upload call it); writing files and versions is in ./store.ts.
 *
 * Problems are collected and refused together, each with its sheet row: what a chat cannot do
 * (with why), and what is broken in the form (duplicate names, unknown lists, unbalanced groups,
 * expressions that do not parse). The result is finally checked by the engine's own loader.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { FlowLoadError, parseFlow } from '../engine/loader.js';
import { ROLES, type Role } from '../engine/types.js';
import { SUPPORTED_LANGUAGES, type SupportedLanguage } from '../i18n.js';
import { readWorkbook, XlsFormError, type SheetRow, type XlsFormSheets } from './workbook.js';
import { ExprError, fromJexl, parseXPath, toJexl, UnsupportedFunction, type Node, type XPathContext } from './xpath.js';

export { XlsFormError } from './workbook.js';

export type Lang = SupportedLanguage;
export const LANGS: readonly Lang[] = SUPPORTED_LANGUAGES;
/** A flow file's content, as written to flows/<id>.yaml. */
export type FlowDoc = Record<string, unknown> & { id: string; version: number; questions: Record<string, unknown>[] };
export type Texts = Record<Lang, Record<string, unknown>>;

export interface ImportOptions {
  /** Flow id; default: settings form_id, else the file name. */
  id?: string;
  roles?: Role[];
  /** Import what a chat can do and list the rest (else: refuse the whole form). */
  skipUnsupported?: boolean;
  /** Language of plain `label` columns when settings has no default_language (default: id). */
  defaultLanguage?: Lang;
}

export interface ImportResult {
  id: string;
  flow: FlowDoc;
  texts: Texts;
  /** Missing translations and ignored columns. */
  warnings: string[];
  /** With skipUnsupported: every row left out, with why. */
  skipped: string[];
}

/** Texts the importer writes itself (XLSForm has no place for them). */
const GENERATED: Record<Lang, Record<string, string>> = {
  id: {
    other: 'Lainnya',
    other_prompt: 'Sebutkan yang lainnya:',
    constraint: 'Jawaban ini tidak sesuai. Coba lagi.',
    thanks: 'Terima kasih, jawaban Anda sudah kami terima.',
    add_another: 'Tambah lagi: {label}?',
    repeat_prompt: '{label} ke-{{n}}:',
    ok: 'OK',
  },
  en: {
    other: 'Other',
    other_prompt: 'Please specify:',
    constraint: 'That answer is not accepted. Please try again.',
    thanks: 'Thank you, your answers have been received.',
    add_another: 'Add another: {label}?',
    repeat_prompt: '{label} #{{n}}:',
    ok: 'OK',
  },
};

const REFUSED_TYPES: Record<string, string> = {
  barcode: 'a chat cannot scan a barcode',
  range: 'the range widget (a slider) has no chat equivalent: use integer with a constraint',
  rank: 'ranking by dragging has no chat equivalent: use select_multiple or several select_one',
  select_one_from_file: 'the choices file (CSV/XML) is not part of the form: copy its choices into the choices sheet',
  select_multiple_from_file: 'the choices file (CSV/XML) is not part of the form: copy its choices into the choices sheet',
  select_one_external: 'external choices are not part of the form: copy them into the choices sheet',
  audit: 'audit logs record activity on the phone screen; a chat has none',
  audio: 'the chat receives photos, not sound recordings',
  'background-audio': 'the chat receives photos, not sound recordings',
  video: 'the chat receives photos, not videos',
  file: 'the chat receives photos, not other files',
  datetime: 'the chat cannot ask a date and time in one answer yet: use date and time',
  geotrace: 'a chat shares one location, not a line',
  geoshape: 'a chat shares one location, not an area',
  'xml-external': 'external data files are not available in chat',
  'csv-external': 'external data files are not available in chat',
  'start-geopoint': 'the phone position at the start is not available in chat',
  hidden: 'hidden fields are set by a web form; use calculate',
  trigger: 'triggers belong to ODK Collect',
};
const REFUSED_APPEARANCES: Record<string, string> = {
  signature: 'a chat cannot take a signature',
  draw: 'a chat cannot offer a drawing pad',
  annotate: 'a chat cannot annotate a picture',
};
const SIMPLE_TYPES: Record<string, string> = {
  text: 'text',
  string: 'text',
  integer: 'integer',
  int: 'integer',
  decimal: 'decimal',
  date: 'date',
  time: 'time',
  geopoint: 'location',
  image: 'photo',
  photo: 'photo',
  note: 'note',
  acknowledge: 'acknowledge',
  calculate: 'calculate',
};
const META_TYPES = new Set(['start', 'end', 'today', 'deviceid', 'username', 'phonenumber', 'email', 'subscriberid', 'simserial']);
/** Columns read; anything else in the survey sheet is ignored with a warning. */
const KNOWN_COLUMNS = new Set(['type', 'name', 'label', 'hint', 'required', 'required_message', 'relevant', 'constraint', 'constraint_message', 'calculation', 'default', 'choice_filter', 'repeat_count', 'appearance', 'parameters', 'read_only', 'guidance_hint', 'media', 'image', 'audio', 'video', 'note', 'trigger', 'body']);

/** Language of a column suffix: "(id)" / "(en)" codes, else the usual names. */
export function languageOf(suffix: string): Lang | undefined {
  const code = /\(([a-z]{2,3})(?:[-_][a-z]+)?\)\s*$/i.exec(suffix)?.[1]?.toLowerCase();
  if (code) return (LANGS as readonly string[]).includes(code) ? (code as Lang) : undefined;
  const s = suffix.trim().toLowerCase();
  if (['english', 'inggris', 'bahasa inggris', 'en'].includes(s)) return 'en';
  if (['indonesian', 'bahasa indonesia', 'indonesia', 'bahasa', 'id', 'ind'].includes(s)) return 'id';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// the form as a tree

type Kind =
  | { k: 'leaf'; type: string; list?: string; other?: boolean; meta?: string }
  | { k: 'group'; repeat: boolean; children: Item[]; endRow?: number }
  | { k: 'loop'; list: string; children: Item[]; endRow?: number };
interface Item {
  row: number;
  name: string;
  cells: Record<string, string>;
  kind: Kind;
}

class Problems {
  readonly errors: string[] = [];
  readonly unsupported: { row: number; text: string }[] = [];
  readonly warnings: string[] = [];
  /** Names of rows refused for their type: references to them are left out too. */
  readonly refusedNames = new Set<string>();
  constructor(readonly file: string) {}
  error(row: number | string, message: string): void {
    this.errors.push(`${this.file}: ${typeof row === 'number' ? `survey row ${row}` : row}: ${message}`);
  }
  refuse(row: number, what: string, why: string): void {
    this.unsupported.push({ row, text: `${this.file}: survey row ${row}: ${what} is not supported: ${why}` });
  }
}

function parseType(raw: string): Kind | { refused: string; why: string } | { begin: 'group' | 'repeat' | 'loop'; list?: string } | { end: 'group' | 'repeat' | 'loop' } | { unknown: string } {
  const t = raw.trim().replace(/\s+/g, ' ');
  const lower = t.toLowerCase();
  let m: RegExpExecArray | null;
  if ((m = /^(select_one|select1|select one from|select_multiple|select all that apply from|select_multiple from) (\S+)( or_other| or specify other)?$/i.exec(t))) {
    const multi = /multiple|all that apply/i.test(m[1]!);
    return { k: 'leaf', type: multi ? 'multi' : 'single', list: m[2]!, other: Boolean(m[3]) };
  }
  if ((m = /^(select_one_from_file|select_multiple_from_file|select_one_external)\b/i.exec(t))) return { refused: m[1]!.toLowerCase(), why: REFUSED_TYPES[m[1]!.toLowerCase()]! };
  if (/^begin[ _]group$/i.test(t)) return { begin: 'group' };
  if (/^end[ _]group$/i.test(t)) return { end: 'group' };
  if (/^begin[ _]repeat$/i.test(t)) return { begin: 'repeat' };
  if (/^end[ _]repeat$/i.test(t)) return { end: 'repeat' };
  if ((m = /^begin[ _]loop over (\S+)$/i.exec(t))) return { begin: 'loop', list: m[1]! };
  if (/^end[ _]loop$/i.test(t)) return { end: 'loop' };
  // Own keys only: a type written "constructor" is unknown, not Object.
  if (Object.hasOwn(SIMPLE_TYPES, lower)) return { k: 'leaf', type: SIMPLE_TYPES[lower]! };
  if (META_TYPES.has(lower)) return { k: 'leaf', type: 'meta', meta: lower };
  if (Object.hasOwn(REFUSED_TYPES, lower)) return { refused: lower, why: REFUSED_TYPES[lower]! };
  return { unknown: t };
}

function buildTree(rows: SheetRow[], p: Problems): Item[] {
  const root: Item[] = [];
  const stack: Item[] = [];
  const current = (): Item[] => {
    const top = stack[stack.length - 1];
    return top && top.kind.k !== 'leaf' ? top.kind.children : root;
  };
  for (const r of rows) {
    const type = r.cells.type ?? '';
    const name = r.cells.name ?? '';
    if (type === '') {
      if (name !== '' || Object.keys(r.cells).some((c) => c.startsWith('label'))) p.error(r.row, `"${name || '(no name)'}" has no type`);
      continue;
    }
    const parsed = parseType(type);
    if ('unknown' in parsed) {
      p.error(r.row, `unknown type "${parsed.unknown}"`);
      continue;
    }
    if ('refused' in parsed) {
      p.refuse(r.row, `type ${parsed.refused}${name ? ` ("${name}")` : ''}`, parsed.why);
      if (name) p.refusedNames.add(name);
      continue;
    }
    if ('end' in parsed) {
      const open = stack.pop();
      const want = open?.kind.k === 'group' ? (open.kind.repeat ? 'repeat' : 'group') : open?.kind.k;
      if (!open) p.error(r.row, `end_${parsed.end} without a begin_${parsed.end}`);
      else if (want !== parsed.end) {
        p.error(r.row, `end_${parsed.end} closes begin_${want} "${open.name}" of row ${open.row}`);
      } else if (open.kind.k !== 'leaf') open.kind.endRow = r.row;
      continue;
    }
    if ('begin' in parsed) {
      const kind: Kind = parsed.begin === 'loop' ? { k: 'loop', list: parsed.list!, children: [] } : { k: 'group', repeat: parsed.begin === 'repeat', children: [] };
      const item: Item = { row: r.row, name, cells: r.cells, kind };
      current().push(item);
      stack.push(item);
      continue;
    }
    current().push({ row: r.row, name, cells: r.cells, kind: parsed });
  }
  for (const open of stack) {
    const what = open.kind.k === 'loop' ? 'loop' : open.kind.k === 'group' && open.kind.repeat ? 'repeat' : 'group';
    p.error(open.row, `begin_${what} "${open.name}" has no end_${what}`);
  }
  return root;
}

// ---------------------------------------------------------------------------------------------

interface Choice {
  row: number;
  name: string;
  labels: Record<string, string>;
  data: Record<string, string>;
}

interface Langs {
  /** Language of plain (suffix-less) text columns. */
  plain: Lang;
  /** Language to fall back to when a text is missing in another. */
  fallback: Lang;
}

/** Texts of one column family ("label", "hint"...) in a row, by language. */
function textsOf(cells: Record<string, string>, base: string, langs: Langs, warn: (m: string) => void): Partial<Record<Lang, string>> {
  const out: Partial<Record<Lang, string>> = {};
  for (const [col, value] of Object.entries(cells)) {
    if (col === base) out[langs.plain] ??= value;
    else if (col.startsWith(`${base}::`)) {
      const lang = languageOf(col.slice(base.length + 2));
      if (lang) out[lang] = value;
      else warn(col);
    }
  }
  return out;
}

function normaliseId(raw: string): string {
  return raw
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\w\s.-]/g, '')
    .replace(/[\s_.]+/g, '-')
    .replace(/[^a-z0-9-]/g, '')
    .replace(/^-+|-+$/g, '');
}

function yes(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return false;
  const s = v.trim().toLowerCase();
  if (['yes', 'true', 'true()', '1', 'y', 'ya'].includes(s)) return true;
  if (['no', 'false', 'false()', '0', 'n', 'tidak'].includes(s)) return false;
  return undefined;
}

/** Reads and converts an XLSForm file. Throws XlsFormError with every problem. */
export async function importXlsFormFile(file: string, options: ImportOptions = {}): Promise<ImportResult> {
  const data = await readFile(file);
  return importXlsForm(new Uint8Array(data), path.basename(file), options);
}

export async function importXlsForm(data: Uint8Array, fileName: string, options: ImportOptions = {}): Promise<ImportResult> {
  const sheets = await readWorkbook(data, fileName);
  return convert(sheets, fileName, options);
}

/** Converts the sheets of a form already read (tests build them directly). */
export function convert(sheets: XlsFormSheets, fileName: string, options: ImportOptions = {}): ImportResult {
  const p = new Problems(fileName);
  const settings = sheets.settings.rows[0]?.cells ?? {};

  // Languages.
  const defaultLang = settings.default_language ? languageOf(settings.default_language) : undefined;
  if (settings.default_language && !defaultLang) p.warnings.push(`settings: default_language "${settings.default_language}" is neither Indonesian nor English; plain labels are read as ${options.defaultLanguage ?? 'id'}`);
  const present = new Set<Lang>();
  for (const col of [...sheets.survey.columns, ...sheets.choices.columns]) {
    const m = /^label::(.+)$/.exec(col);
    const lang = m ? languageOf(m[1]!) : undefined;
    if (lang) present.add(lang);
  }
  const plain = defaultLang ?? options.defaultLanguage ?? 'id';
  const hasPlain = sheets.survey.columns.includes('label');
  const langs: Langs = { plain, fallback: hasPlain || present.has(plain) ? plain : (LANGS.find((l) => present.has(l)) ?? plain) };
  const ignoredLanguages = new Set<string>();
  const warnLang = (col: string): void => {
    ignoredLanguages.add(col);
  };
  for (const col of sheets.survey.columns) {
    const base = col.split('::')[0]!;
    if (!KNOWN_COLUMNS.has(base)) p.warnings.push(`survey: column "${col}" is not used by the chat and is ignored`);
  }

  // Choices.
  const lists = new Map<string, Choice[]>();
  for (const r of sheets.choices.rows) {
    const list = r.cells.list_name ?? '';
    const name = r.cells.name ?? '';
    if (list === '' && name === '') continue;
    if (list === '' || name === '') {
      p.error(`choices row ${r.row}`, list === '' ? `choice "${name}" has no list_name` : `a choice of list "${list}" has no name`);
      continue;
    }
    const choices = lists.get(list) ?? [];
    if (choices.some((c) => c.name === name)) p.error(`choices row ${r.row}`, `choice "${name}" appears twice in list "${list}"`);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) p.error(`choices row ${r.row}`, `choice name "${name}" must use only letters, digits, _ and - (no spaces or dots)`);
    const data: Record<string, string> = {};
    for (const [col, v] of Object.entries(r.cells)) {
      const base = col.split('::')[0]!;
      if (['list_name', 'name', 'label', 'media', 'image', 'audio', 'video'].includes(base)) continue;
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(col)) data[col] = v;
    }
    choices.push({ row: r.row, name, labels: textsOf(r.cells, 'label', langs, warnLang), data });
    lists.set(list, choices);
  }

  const tree = buildTree(sheets.survey.rows, p);

  // Loops over a choice list become one copy of their questions per choice.
  const expandLoops = (items: Item[]): Item[] =>
    items.flatMap((it) => {
      if (it.kind.k === 'group') return [{ ...it, kind: { ...it.kind, children: expandLoops(it.kind.children) } }];
      if (it.kind.k !== 'loop') return [it];
      const list = lists.get(it.kind.list);
      if (!list) {
        p.error(it.row, `loop over "${it.kind.list}": no such choice list`);
        return [];
      }
      return list.flatMap((c) =>
        expandLoops(it.kind.k === 'loop' ? it.kind.children : []).map((child) => {
          const cells: Record<string, string> = {};
          for (const [col, v] of Object.entries(child.cells)) {
            const lang = col.includes('::') ? languageOf(col.split('::')[1]!) : langs.plain;
            const label = (lang && c.labels[lang]) ?? c.labels[langs.fallback] ?? Object.values(c.labels)[0] ?? c.name;
            cells[col] = v.replace(/%\(label\)s/g, label).replace(/%\(name\)s/g, c.name);
          }
          return { ...child, name: `${child.name}_${c.name}`, cells: { ...cells, name: `${child.name}_${c.name}` } };
        }),
      );
    });
  const items = expandLoops(tree);

  // Names: unique, usable as ids; where each lives (top level or which repeat).
  interface NameInfo {
    row: number;
    repeat?: string;
    kind: 'question' | 'group' | 'repeat' | 'note';
  }
  const names = new Map<string, NameInfo>();
  const collect = (list: Item[], repeat: string | undefined): void => {
    for (const it of list) {
      if (it.name === '') {
        if (!(it.kind.k === 'group' && !it.kind.repeat)) p.error(it.row, 'no name');
      } else if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(it.name)) {
        p.error(it.row, `name "${it.name}" must start with a letter and use only letters, digits and _ (it becomes the answer's key)`);
      } else if (names.has(it.name)) {
        p.error(it.row, `duplicate name "${it.name}" (also row ${names.get(it.name)!.row})`);
      } else {
        const kind = it.kind.k === 'group' ? (it.kind.repeat ? 'repeat' : 'group') : it.kind.k === 'leaf' && it.kind.type === 'note' ? 'note' : 'question';
        names.set(it.name, { row: it.row, repeat, kind });
      }
      if (it.kind.k === 'group') {
        if (it.kind.repeat && repeat) p.refuse(it.row, `repeat "${it.name}" inside repeat "${repeat}"`, 'the chat engine cannot nest repeats: make the inner one a separate form or a fixed set of questions');
        collect(it.kind.children, it.kind.repeat ? it.name : repeat);
      }
      if (it.kind.k === 'leaf' && it.kind.other && it.name) {
        const other = `${it.name}_other`;
        if (names.has(other)) p.error(it.row, `"${other}" (for or_other) is already a name (row ${names.get(other)!.row})`);
        else names.set(other, { row: it.row, repeat, kind: 'question' });
      }
    }
  };
  collect(items, undefined);

  // ---- conversion ----
  const texts: Texts = { id: {}, en: {} };
  const missing: Record<Lang, number[]> = { id: [], en: [] };
  const setText = (key: string, values: Partial<Record<Lang, string>>, row: number): void => {
    const fallback = values[langs.fallback] ?? LANGS.map((l) => values[l]).find((v) => v !== undefined);
    for (const lang of LANGS) {
      let v = values[lang];
      if (v === undefined) {
        v = fallback;
        if (v !== undefined && row > 0 && !missing[lang].includes(row)) missing[lang].push(row);
      }
      if (v === undefined) continue;
      const parts = key.split('.');
      let obj = texts[lang];
      for (const part of parts.slice(0, -1)) obj = (obj[part] ??= {}) as Record<string, unknown>;
      obj[parts[parts.length - 1]!] = v;
    }
  };
  const generated = (name: string, fill: Record<string, string> = {}): Record<Lang, string> =>
    Object.fromEntries(LANGS.map((l) => [l, GENERATED[l][name]!.replace(/(?<!\{)\{(\w+)\}(?!\})/g, (_, k: string) => fill[k] ?? '')])) as Record<Lang, string>;

  /** ${x} in a label: {{answers.x}} (or {{group.x}} for an answer of the same repeat item). */
  const interpolate = (text: string, repeat: string | undefined, row: number): string =>
    text.replace(/\$\{\s*([^}\s]+)\s*\}/g, (whole, name: string) => {
      const info = names.get(name);
      if (!info) {
        p.error(row, `label refers to \${${name}}, which is not a question in this form`);
        return whole;
      }
      return info.repeat && info.repeat === repeat ? `{{group.${name}}}` : `{{answers.${name}}}`;
    });
  const labelTexts = (cells: Record<string, string>, base: string, repeat: string | undefined, row: number): Partial<Record<Lang, string>> => {
    const t = textsOf(cells, base, langs, warnLang);
    for (const l of LANGS) if (t[l] !== undefined) t[l] = interpolate(t[l], repeat, row);
    return t;
  };
  /** The short summary label: the question without its {{placeholders}}. */
  const shortLabel = (t: Partial<Record<Lang, string>>): Partial<Record<Lang, string>> =>
    Object.fromEntries(Object.entries(t).map(([l, v]) => [l, v.replace(/\s*\{\{[^}]+\}\}\s*/g, ' … ').replace(/\s+/g, ' ').trim()]));

  const skippedRows = new Set<number>();
  const leftOut = new Set<string>();
  const xpath = (src: string, row: number, column: string, ctx: XPathContext): string | undefined => {
    try {
      return toJexl(parseXPath(src, ctx));
    } catch (err) {
      if (err instanceof UnsupportedFunction) p.refuse(row, `${column} "${src}": ${err.fn}()`, err.why);
      else if (err instanceof LeftOut) p.refuse(row, `${column} "${src}"`, err.message);
      else if (err instanceof ExprError) p.error(row, `${column} "${src}" does not parse: ${err.message}`);
      else throw err;
      skippedRows.add(row);
      return undefined;
    }
  };
  const refTo =
    (repeat: string | undefined) =>
    (name: string): Node => {
      const info = names.get(name);
      if (!info && p.refusedNames.has(name)) throw new LeftOut(`it refers to \${${name}}, which was left out`);
      if (!info) throw new ExprError(`\${${name}} is not a question in this form`);
      if (leftOut.has(name)) throw new LeftOut(`it refers to \${${name}}, which was left out`);
      if (info.kind === 'group') throw new ExprError(`\${${name}} is a group, not a question`);
      if (info.repeat && info.repeat === repeat) return { t: 'ref', root: 'group', name };
      if (info.repeat) return { t: 'call', name: 'column', args: [{ t: 'ref', root: 'answers', name: info.repeat }, { t: 'lit', v: name }] };
      return { t: 'ref', root: 'answers', name };
    };
  /** Both conditions (a group's relevant and its question's own), printed as the translator does. */
  const and = (a: string | undefined, b: string | undefined): string | undefined => {
    if (!a) return b;
    if (!b) return a;
    return toJexl({ t: 'bin', op: 'and', l: fromJexl(a), r: fromJexl(b) });
  };

  const convertList = (list: Item[], repeat: string | undefined, groupRelevant: string | undefined): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    for (const it of list) {
      const q = convertItem(it, repeat, groupRelevant);
      if (p.unsupported.some((u) => u.row === it.row) || skippedRows.has(it.row)) {
        if (it.name) leftOut.add(it.name);
        if (it.kind.k === 'leaf' && it.kind.other) leftOut.add(`${it.name}_other`);
        continue;
      }
      out.push(...q);
    }
    return out;
  };

  const convertItem = (it: Item, repeat: string | undefined, groupRelevant: string | undefined): Record<string, unknown>[] => {
    const c = it.cells;
    const ctx: XPathContext = { ref: refTo(repeat) };
    const relevantOwn = c.relevant ? xpath(c.relevant, it.row, 'relevant', ctx) : undefined;
    const relevant = and(groupRelevant, relevantOwn);
    const label = labelTexts(c, 'label', repeat, it.row);
    const hasLabel = Object.keys(label).length > 0;

    if (it.kind.k === 'group' && !it.kind.repeat) {
      const out: Record<string, unknown>[] = [];
      // The group's label is shown once, as a note, before its questions.
      if (hasLabel && it.name) {
        setText(`${it.name}.prompt`, label, it.row);
        out.push({ id: it.name, type: 'note', ...(relevant ? { relevant } : {}) });
      }
      return [...out, ...convertList(it.kind.children, repeat, relevant)];
    }
    if (it.kind.k === 'group') {
      const g: Record<string, unknown> = { id: it.name, type: 'group', repeat: true };
      if (relevant) g.relevant = relevant;
      const title = hasLabel ? label : { [langs.fallback]: it.name };
      setText(`${it.name}.label`, shortLabel(title), it.row);
      const fill = (l: Lang): string => shortLabel(title)[l] ?? shortLabel(title)[langs.fallback] ?? it.name;
      setText(`${it.name}.prompt`, Object.fromEntries(LANGS.map((l) => [l, generated('repeat_prompt', { label: fill(l) })[l]])), 0);
      if (c.repeat_count) {
        const n = Number(c.repeat_count);
        if (Number.isInteger(n) && n >= 0) g.repeatCount = n;
        else {
          const count = xpath(c.repeat_count, it.row, 'repeat_count', { ref: refTo(undefined) });
          if (count) g.repeatCount = count;
        }
      }
      // Asked only without repeat_count, but every repeat group has the text (flows:check).
      setText(`${it.name}.add_another`, Object.fromEntries(LANGS.map((l) => [l, generated('add_another', { label: fill(l) })[l]])), 0);
      g.questions = convertList(it.kind.children, it.name, undefined);
      if ((g.questions as unknown[]).length === 0) p.error(it.row, `repeat "${it.name}" has no questions`);
      return [g];
    }
    if (it.kind.k !== 'leaf') return [];
    const kind = it.kind;

    if (kind.type === 'meta') return [{ id: it.name, type: 'meta', meta: kind.meta }];
    if (kind.type === 'calculate') {
      if (!c.calculation) {
        p.error(it.row, `calculate "${it.name}" has no calculation`);
        return [];
      }
      const calculation = xpath(c.calculation, it.row, 'calculation', ctx);
      return calculation ? [{ id: it.name, type: 'calculate', ...(relevant ? { relevant } : {}), calculation }] : [];
    }
    if (c.calculation) {
      p.refuse(it.row, `calculation on a ${c.type} question`, 'a computed answer is a calculate row in chat (read_only questions are not asked)');
      return [];
    }
    const appearance = (c.appearance ?? '').toLowerCase().split(/\s+/);
    for (const a of appearance) {
      const why = Object.hasOwn(REFUSED_APPEARANCES, a) ? REFUSED_APPEARANCES[a] : undefined;
      if (why) {
        p.refuse(it.row, `${c.type} with appearance ${a}`, why);
        return [];
      }
    }
    if (!hasLabel) {
      p.error(it.row, `"${it.name}" has no label`);
      return [];
    }
    setText(`${it.name}.prompt`, label, it.row);
    if (kind.type === 'note') return [{ id: it.name, type: 'note', ...(relevant ? { relevant } : {}) }];
    setText(`${it.name}.label`, shortLabel(label), it.row);

    const q: Record<string, unknown> = { id: it.name };
    let type = kind.type;
    if (type === 'acknowledge') type = 'single';
    q.type = type;
    if (relevant) q.relevant = relevant;
    const required = yes(c.required);
    if (required === undefined) {
      p.refuse(it.row, `required "${c.required}"`, 'required must be yes or no in chat; put the condition in relevant');
      return [];
    }
    // XLSForm questions are optional unless required; the engine's default is the opposite (photo: optional).
    if (type === 'photo' ? required : !required) q.required = required;
    const hint = labelTexts(c, 'hint', repeat, it.row);
    if (Object.keys(hint).length > 0) {
      q.hint = `${it.name}.hint`;
      setText(`${it.name}.hint`, hint, it.row);
    }
    const requiredMessage = labelTexts(c, 'required_message', repeat, it.row);
    if (Object.keys(requiredMessage).length > 0) {
      q.requiredMessage = `${it.name}.required`;
      setText(`${it.name}.required`, requiredMessage, it.row);
    }
    if (c.constraint) {
      const constraint = xpath(c.constraint, it.row, 'constraint', { ...ctx, dot: { t: 'ref', root: 'value', name: '' } });
      if (constraint) {
        q.constraint = constraint;
        q.constraintMessage = `${it.name}.constraint`;
        const message = labelTexts(c, 'constraint_message', repeat, it.row);
        setText(`${it.name}.constraint`, Object.keys(message).length > 0 ? message : generated('constraint'), Object.keys(message).length > 0 ? it.row : 0);
      }
    }
    if (c.default !== undefined) {
      if (/\$\{|\(/.test(c.default)) {
        p.refuse(it.row, `default "${c.default}"`, 'a default computed from other answers is not supported: use a calculate row');
        return [];
      }
      q.default = type === 'integer' || type === 'decimal' ? Number(c.default) : c.default;
      if (typeof q.default === 'number' && Number.isNaN(q.default)) p.error(it.row, `default "${c.default}" is not a number`);
    }

    if (kind.type === 'acknowledge') {
      q.choices = [{ id: 'OK' }];
      setText(`${it.name}.choices.OK`, generated('ok'), 0);
      return [q];
    }
    if (type === 'single' || type === 'multi') {
      const list = lists.get(kind.list!);
      if (!list) {
        p.error(it.row, `choice list "${kind.list}" does not exist in the choices sheet`);
        return [];
      }
      const choices: Record<string, unknown>[] = list.map((ch) => {
        if (Object.keys(ch.labels).length === 0) p.error(`choices row ${ch.row}`, `choice "${ch.name}" has no label`);
        setText(`${it.name}.choices.${ch.name}`, ch.labels, ch.row);
        return Object.keys(ch.data).length > 0 ? { id: ch.name, data: ch.data } : { id: ch.name };
      });
      if (kind.other) {
        if (list.some((ch) => ch.name === 'other')) p.error(it.row, `list "${kind.list}" already has a choice "other"; drop or_other`);
        choices.push({ id: 'other' });
        setText(`${it.name}.choices.other`, generated('other'), 0);
      }
      q.choices = choices;
      if (c.choice_filter) {
        const filter = xpath(c.choice_filter, it.row, 'choice_filter', {
          ref: refTo(repeat),
          bareNames: (n) => ({ t: 'ref', root: 'item', name: n === 'name' ? 'id' : n }),
        });
        if (filter) q.filter = filter;
      }
      if (type === 'multi' && !required) q.minSelected = 0;
      if (!kind.other) return [q];
      // "or_other": a text question asked when "other" is chosen, named <name>_other as pyxform does.
      const otherId = `${it.name}_other`;
      const otherSelected = `selected(${repeat ? 'group' : 'answers'}.${it.name}, 'other')`;
      setText(`${otherId}.prompt`, generated('other_prompt'), 0);
      setText(`${otherId}.label`, shortLabel(generated('other_prompt')), 0);
      return [q, { id: otherId, type: 'text', relevant: and(relevant, otherSelected), ...(required ? {} : { required: false }) }];
    }
    return [q];
  };

  const questions = convertList(items, undefined, undefined);

  // Flow header.
  const id = normaliseId(options.id ?? settings.form_id ?? fileName.replace(/\.[^.]+$/, ''));
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) p.error('settings', `flow id "${id}" must use only a-z, 0-9 and - (give --id)`);
  // settings "roles" is this project's own column (flows:export writes it), e.g. "warga pokja".
  const settingsRoles = settings.roles?.split(/[\s,]+/).filter((r) => r !== '');
  const badRole = settingsRoles?.find((r) => !(ROLES as readonly string[]).includes(r));
  if (badRole) p.error('settings', `roles: "${badRole}" is not a role (${ROLES.join(', ')})`);
  const roles = options.roles ?? (settingsRoles && !badRole ? (settingsRoles as Role[]) : [...ROLES]);
  const title = settings.form_title ?? settings.form_id ?? fileName.replace(/\.[^.]+$/, '');
  setText('title', { [langs.fallback]: title }, 0);
  setText('description', { [langs.fallback]: title }, 0);
  setText('thanks', generated('thanks'), 0);
  if (questions.length === 0 && p.errors.length === 0 && p.unsupported.length === 0) p.error('survey', 'no questions');

  const flow: FlowDoc = { id, version: 1, roles, questions };
  for (const lang of LANGS) {
    if (missing[lang].length > 0) {
      p.warnings.push(`${lang}: no ${lang === 'id' ? 'Indonesian' : 'English'} text in survey/choices rows ${missing[lang].join(', ')}: the ${langs.fallback === 'id' ? 'Indonesian' : 'English'} text is used`);
    }
  }
  for (const col of ignoredLanguages) p.warnings.push(`column "${col}": language not offered by the chat (id, en), ignored`);

  const skipped = p.unsupported.map((u) => u.text);
  if (p.errors.length > 0 || (skipped.length > 0 && !options.skipUnsupported)) {
    throw new XlsFormError([...p.errors, ...skipped, ...(skipped.length > 0 && p.errors.length === 0 ? ['(import the rest with --skip-unsupported)'] : [])]);
  }

  // Last, the engine's own checks (expressions referring to later questions, etc.), by row.
  try {
    parseFlow(stringify(flow), `${id}.yaml`);
  } catch (err) {
    if (!(err instanceof FlowLoadError)) throw err;
    throw new XlsFormError(
      err.problems.map((line) => {
        const m = /^[^:]+: ([^:]+): (.*)$/.exec(line);
        const qid = m?.[1]?.split('.').pop() ?? '';
        const info = names.get(qid);
        return info ? `${fileName}: survey row ${info.row} (${qid}): ${m![2]}` : `${fileName}: ${line}`;
      }),
    );
  }
  return { id, flow, texts, warnings: p.warnings, skipped };
}

class LeftOut extends ExprError {}
