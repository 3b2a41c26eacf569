/**
 * XLSForm (KoBoToolbox, ODK, SurveyCTO) -> a Suara Desa flow: the flow's YAML object and its
 * texts per language. A library function (the CLI, scripts/flows-import.ts, and later the
 * workspace upload call it); writing files and versions is in ./store.ts.
 *
 * The rule: a form pyxform converts imports as it is, or, with skipUnsupported, leaving out only
 * what a chat cannot ask (a signature, a barcode, pulldata() without its file...), each named by
 * its row. A question that depended only on something left out goes with it and is listed too;
 * one that read it beside other answers keeps it as an empty answer, with a warning. What is
 * broken in the form (duplicate names, unknown lists, unbalanced groups, expressions that do not
 * parse) is refused like pyxform refuses it. The result is finally checked by the engine's loader.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { compileExpression, evaluateBool } from '../engine/expressions.js';
import { translationKeyUses } from '../engine/keys.js';
import { FlowLoadError, parseFlow } from '../engine/loader.js';
import { ROLES, type Role } from '../engine/types.js';
import { LANGS, languageOf, META_TYPES, REFUSED_APPEARANCES, REFUSED_TYPES, SIMPLE_TYPES, choicesColumn, surveyColumn, yesNo, type Lang } from './columns.js';
import { readWorkbook, XlsFormError, type Sheet, type SheetRow, type XlsFormSheets } from './workbook.js';
import { ExprError, fromJexl, parseXPath, toJexl, UnsupportedFunction, UnsupportedSyntax, type Node, type XPathContext } from './xpath.js';

export { XlsFormError } from './workbook.js';
export { LANGS, languageOf, type Lang } from './columns.js';

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
  /** Missing translations, ignored columns, answers read as empty because their question was left out. */
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

/** Columns read; anything else in the survey sheet is ignored with a warning. */
const KNOWN_COLUMNS = new Set(['type', 'name', 'label', 'hint', 'required', 'required_message', 'relevant', 'constraint', 'constraint_message', 'calculation', 'default', 'choice_filter', 'repeat_count', 'appearance', 'parameters', 'read_only', 'trigger', 'media_image']);
/** Columns that change only how a phone shows a question: ignored without a word. */
const LAYOUT_COLUMNS = new Set(['guidance_hint', 'media_audio', 'media_video', 'autoplay', 'rows', 'body', 'note', 'noapperrorstring', 'no_app_error_string', 'buttontext']);
/** An answer key: letters, digits, _ and - (a dot or a space would split it). */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

// ---------------------------------------------------------------------------------------------
// the form as a tree

type Kind =
  | { k: 'leaf'; type: string; list?: string; other?: boolean; meta?: string; external?: boolean }
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
  /** Names of rows refused for their type: references to them read as empty. */
  readonly refusedNames = new Set<string>();
  constructor(readonly file: string) {}
  error(row: number | string, message: string): void {
    this.errors.push(`${this.file}: ${typeof row === 'number' ? `survey row ${row}` : row}: ${message}`);
  }
  refuse(row: number, what: string, why: string): void {
    this.unsupported.push({ row, text: `${this.file}: survey row ${row}: ${what} is not supported: ${why}` });
  }
  /** Left out because what it depended on was. */
  drop(row: number, what: string, why: string): void {
    this.unsupported.push({ row, text: `${this.file}: survey row ${row}: ${what} is left out with ${why}` });
  }
  warn(row: number, message: string): void {
    this.warnings.push(`survey row ${row}: ${message}`);
  }
}

type Parsed = Kind | { refused: string; why: string } | { begin: 'group' | 'repeat' | 'loop'; list?: string } | { end: 'group' | 'repeat' | 'loop' } | { unknown: string };

const SELECT = /^(select_one|select1|select one from|select one using|select one|add select one prompt using|select_one_external|select one external|select_multiple|select all that apply from|select all that apply|select multiple from|select_multiple from|select multiple using|add select multiple prompt using) (\S+)( or_other| or specify other)?$/i;

function parseType(raw: string): Parsed {
  const t = raw.trim().replace(/\s+/g, ' ');
  const lower = t.toLowerCase();
  let m: RegExpExecArray | null;
  if ((m = /^(select_one_from_file|select_multiple_from_file|select one from file|select multiple from file)\b/i.exec(t))) {
    const which = /multiple/i.test(m[1]!) ? 'select_multiple_from_file' : 'select_one_from_file';
    return { refused: m[1]!.toLowerCase(), why: REFUSED_TYPES[which]! };
  }
  if ((m = SELECT.exec(t))) {
    const multi = /multiple|all that apply/i.test(m[1]!);
    return { k: 'leaf', type: multi ? 'multi' : 'single', list: m[2]!, other: Boolean(m[3]), ...(/external/i.test(m[1]!) ? { external: true } : {}) };
  }
  // begin group / begin_group / begin repeat / begin lgroup / begin looped group / begin loop over L.
  if ((m = /^(begin|end)[ _](group|repeat|lgroup|looped group|loop)(?: over (\S+))?$/i.exec(t))) {
    const what = m[2]!.toLowerCase();
    const kind = what === 'group' ? 'group' : what === 'loop' ? 'loop' : 'repeat';
    if (m[1]!.toLowerCase() === 'end') return { end: kind };
    if (kind === 'loop' && !m[3]) return { unknown: t };
    return kind === 'loop' ? { begin: 'loop', list: m[3]! } : { begin: kind };
  }
  // Own keys only: a type written "constructor" is unknown, not Object.
  if (Object.hasOwn(SIMPLE_TYPES, lower)) return { k: 'leaf', type: SIMPLE_TYPES[lower]! };
  if (Object.hasOwn(META_TYPES, lower)) return { k: 'leaf', type: 'meta', meta: META_TYPES[lower]! };
  if (Object.hasOwn(REFUSED_TYPES, lower)) return { refused: lower, why: REFUSED_TYPES[lower]! };
  if (/^rank /i.test(t)) return { refused: 'rank', why: REFUSED_TYPES.rank! };
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
    let name = r.cells.name ?? '';
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
    // pyxform lets a note go without a name: it gets one from its row.
    if (name === '' && parsed.k === 'leaf' && parsed.type === 'note') name = `note_row${r.row}`;
    current().push({ row: r.row, name, cells: r.cells, kind: parsed });
  }
  for (const open of stack) {
    const what = open.kind.k === 'loop' ? 'loop' : open.kind.k === 'group' && open.kind.repeat ? 'repeat' : 'group';
    p.error(open.row, `begin_${what} "${open.name}" has no end_${what}`);
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// texts in several languages

/** Texts of a cell family by language: "id", "en", or "other:<language>" for the rest. */
type TextSet = Record<string, string>;

interface Langs {
  /** Language of plain (suffix-less) text columns. */
  plain: Lang;
  /** Language to fall back to when a text is missing in another. */
  fallback: Lang;
  /** A language the chat does not offer, to use when a row has neither Indonesian nor English. */
  other?: string;
}

function textsOf(cells: Record<string, string>, base: string, langs: Langs, seen: Set<string>): TextSet {
  const out: TextSet = {};
  for (const [col, value] of Object.entries(cells)) {
    if (col === base) out[langs.plain] ??= value;
    else if (col.startsWith(`${base}::`)) {
      const suffix = col.slice(base.length + 2);
      const lang = languageOf(suffix);
      if (lang) out[lang] = value;
      else {
        out[`other:${suffix}`] = value;
        seen.add(suffix);
      }
    }
  }
  return out;
}

const hasText = (t: TextSet): boolean => Object.keys(t).length > 0;

function normaliseId(raw: string): string {
  return raw
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\w\s.-]/g, '')
    .replace(/[\s_.]+/g, '-')
    .replace(/[^a-z0-9-]/g, '')
    .replace(/^-+|-+$/g, '');
}

// ---------------------------------------------------------------------------------------------

interface Choice {
  row: number;
  name: string;
  /** Its text key under <question>.choices (the name when the name is one). */
  key: string;
  labels: TextSet;
  data: Record<string, string>;
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

/** The sheet with every column under the name the importer reads. */
function canonical(sheet: Sheet, rename: (c: string) => string): Sheet {
  return {
    columns: sheet.columns.map(rename),
    rows: sheet.rows.map((r) => ({ row: r.row, cells: Object.fromEntries(Object.entries(r.cells).map(([c, v]) => [rename(c), v])) })),
  };
}

/** Converts the sheets of a form already read (tests build them directly). */
export function convert(raw: XlsFormSheets, fileName: string, options: ImportOptions = {}): ImportResult {
  const p = new Problems(fileName);
  const survey = canonical(raw.survey, surveyColumn);
  const choiceSheets = [raw.choices, ...(raw.externalChoices ? [raw.externalChoices] : [])].map((s) => canonical(s, choicesColumn));
  const settings = raw.settings.rows[0]?.cells ?? {};

  // Languages.
  const defaultLang = settings.default_language ? languageOf(settings.default_language) : undefined;
  if (settings.default_language && !defaultLang) p.warnings.push(`settings: default_language "${settings.default_language}" is neither Indonesian nor English; plain labels are read as ${options.defaultLanguage ?? 'id'}`);
  const present = new Set<Lang>();
  let otherLanguage: string | undefined;
  for (const col of [...survey.columns, ...choiceSheets.flatMap((s) => s.columns)]) {
    const m = /^label::(.+)$/.exec(col);
    if (!m) continue;
    const lang = languageOf(m[1]!);
    if (lang) present.add(lang);
    else otherLanguage ??= m[1]!;
  }
  const plain = defaultLang ?? options.defaultLanguage ?? 'id';
  const hasPlain = survey.columns.includes('label');
  const langs: Langs = {
    plain,
    fallback: hasPlain || present.has(plain) ? plain : (LANGS.find((l) => present.has(l)) ?? plain),
    ...(otherLanguage ? { other: `other:${settings.default_language && !defaultLang ? settings.default_language.toLowerCase() : otherLanguage}` } : {}),
  };
  const otherLanguages = new Set<string>();
  for (const col of survey.columns) {
    const base = col.split('::')[0]!;
    if (!KNOWN_COLUMNS.has(base) && !LAYOUT_COLUMNS.has(base)) p.warnings.push(`survey: column "${col}" is not used by the chat and is ignored`);
  }

  // Choices (and the external_choices of select_one_external).
  const allowDuplicates = yesNo(settings.allow_choice_duplicates) === true;
  const readLists = (sheet: Sheet, where: string, duplicates: boolean): Map<string, Choice[]> => {
    const lists = new Map<string, Choice[]>();
    for (const r of sheet.rows) {
      const list = r.cells.list_name ?? '';
      const name = r.cells.name ?? '';
      if (list === '' && name === '') continue;
      if (list === '' || name === '') {
        p.error(`${where} row ${r.row}`, list === '' ? `choice "${name}" has no list_name` : `a choice of list "${list}" has no name`);
        continue;
      }
      const choices = lists.get(list) ?? [];
      const twice = choices.filter((c) => c.name === name).length;
      if (twice > 0 && !duplicates) {
        p.error(`${where} row ${r.row}`, `choice "${name}" appears twice in list "${list}" (pyxform allows it only with the settings column allow_choice_duplicates = yes)`);
      }
      const data: Record<string, string> = {};
      for (const [col, v] of Object.entries(r.cells)) {
        const base = col.split('::')[0]!;
        if (['list_name', 'name', 'label', 'media', 'image', 'big-image', 'audio', 'video'].includes(base)) continue;
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(col)) data[col] = v;
      }
      // A name that is no text key (spaces, dots) or a repeated one gets a key of its own.
      let key = NAME.test(name) || /^[0-9][A-Za-z0-9_-]*$/.test(name) ? name : name.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'choice';
      if (twice > 0) key = `${key}__${twice + 1}`;
      while (choices.some((c) => c.key === key)) key = `${key}_`;
      choices.push({ row: r.row, name, key, labels: textsOf(r.cells, 'label', langs, otherLanguages), data });
      lists.set(list, choices);
    }
    return lists;
  };
  const lists = readLists(choiceSheets[0]!, 'choices', allowDuplicates);
  // pyxform leaves external choices unchecked (they become a CSV file beside the form).
  const externalLists = choiceSheets[1] ? readLists(choiceSheets[1], 'external_choices', true) : new Map<string, Choice[]>();

  const tree = buildTree(survey.rows, p);

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
            const lang = col.includes('::') ? (languageOf(col.split('::')[1]!) ?? `other:${col.split('::')[1]!}`) : langs.plain;
            const label = c.labels[lang] ?? c.labels[langs.fallback] ?? Object.values(c.labels)[0] ?? c.name;
            cells[col] = v.replace(/%\(label\)s/g, label).replace(/%\(name\)s/g, c.name);
          }
          return { ...child, name: `${child.name}_${c.name}`, cells: { ...cells, name: `${child.name}_${c.name}` } };
        }),
      );
    });
  const items = expandLoops(tree);

  // Names: unique, usable as keys; where each lives (top level or which repeat).
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
      } else if (!NAME.test(it.name)) {
        p.error(it.row, `name "${it.name}" must start with a letter or _ and use only letters, digits, _ and - (it becomes the answer's key)`);
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

  // ---- texts ----
  const texts: Texts = { id: {}, en: {} };
  const missing: Record<Lang, number[]> = { id: [], en: [] };
  const setText = (key: string, values: TextSet, row: number): void => {
    const ours = LANGS.map((l) => values[l]).find((v) => v !== undefined);
    const fallback = values[langs.fallback] ?? ours ?? (langs.other ? values[langs.other] : undefined) ?? Object.values(values)[0];
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
  const generated = (name: string, fill: Record<string, string> = {}): TextSet =>
    Object.fromEntries(LANGS.map((l) => [l, GENERATED[l][name]!.replace(/(?<!\{)\{(\w+)\}(?!\})/g, (_, k: string) => fill[k] ?? '')]));

  // ---- what is left out, and what depends on it ----
  const skippedRows = new Set<number>();
  /** Names of questions left out (refused, or gone with what they depended on). */
  const leftOut = new Set<string>();
  const isLeftOut = (name: string): boolean => leftOut.has(name) || (!names.has(name) && p.refusedNames.has(name));
  /** What an expression or a label read: names left out, and how many other answers. */
  interface Reads {
    left: Set<string>;
    others: number;
  }
  const reads = (): Reads => ({ left: new Set(), others: 0 });
  const only = (r: Reads): boolean => r.left.size > 0 && r.others === 0;
  const listed = (r: Reads): string => [...r.left].map((n) => `\${${n}}`).join(', ');

  /** ${x} in a label: {{answers.x}} (or {{group.x}} for an answer of the same repeat item); '' for what was left out. */
  const interpolate = (text: string, repeat: string | undefined, row: number, r: Reads): string =>
    text.replace(/\$\{\s*([^}\s]+)\s*\}/g, (whole, name: string) => {
      if (isLeftOut(name)) {
        r.left.add(name);
        return '';
      }
      const info = names.get(name);
      if (!info) {
        p.error(row, `label refers to \${${name}}, which is not a question in this form`);
        return whole;
      }
      r.others += 1;
      // A note holds no answer.
      if (info.kind === 'note') return '';
      return info.repeat && info.repeat === repeat ? `{{group.${name}}}` : `{{answers.${name}}}`;
    });
  const labelTexts = (cells: Record<string, string>, base: string, repeat: string | undefined, row: number, r: Reads = reads()): TextSet => {
    const t = textsOf(cells, base, langs, otherLanguages);
    for (const l of Object.keys(t)) t[l] = interpolate(t[l]!, repeat, row, r);
    return t;
  };
  /** The short summary label: the question without its {{placeholders}}. */
  const shortLabel = (t: TextSet): TextSet =>
    Object.fromEntries(Object.entries(t).map(([l, v]) => [l, v.replace(/\s*\{\{[^}]+\}\}\s*/g, ' … ').replace(/\s+/g, ' ').trim() || v]));

  const refTo =
    (repeat: string | undefined, row: number, r: Reads) =>
    (name: string): Node => {
      if (isLeftOut(name)) {
        // What ODK gives for an unanswered question.
        r.left.add(name);
        return { t: 'lit', v: '' };
      }
      const info = names.get(name);
      if (!info) throw new ExprError(`\${${name}} is not a question in this form`);
      r.others += 1;
      if (info.kind === 'note') return { t: 'lit', v: '' };
      if (info.kind === 'group') throw new ExprError(`\${${name}} is a group, not a question`);
      // A chat asks in order: an answer given later is not there to decide with.
      if (info.row > row) throw new LaterAnswer(name, info.row);
      if (info.repeat && info.repeat === repeat) return { t: 'ref', root: 'group', name };
      if (info.repeat) return { t: 'call', name: 'column', args: [{ t: 'ref', root: 'answers', name: info.repeat }, { t: 'lit', v: name }] };
      return { t: 'ref', root: 'answers', name };
    };

  /** XPath -> engine expression, or undefined when refused (the row is then left out). */
  const xpath = (src: string, row: number, column: string, repeat: string | undefined, r: Reads, extra: Partial<XPathContext> = {}): string | undefined => {
    try {
      const jexl = toJexl(parseXPath(src, { ref: refTo(repeat, row, r), ...extra }));
      if (r.left.size > 0 && r.others > 0) p.warn(row, `${column} "${src}" reads ${listed(r)}, which was left out: read as empty`);
      return jexl;
    } catch (err) {
      if (err instanceof UnsupportedFunction) p.refuse(row, `${column} "${src}": ${err.fn}()`, err.why);
      else if (err instanceof LaterAnswer || err instanceof UnsupportedSyntax) p.refuse(row, `${column} "${src}"`, err.message);
      else if (err instanceof ExprError) p.error(row, `${column} "${src}" does not parse: ${err.message}`);
      else throw err;
      skippedRows.add(row);
      return undefined;
    }
  };
  /** An expression that reads only what was left out has one value whatever is answered. */
  const constant = (jexl: string): unknown => {
    const { compiled } = compileExpression(jexl, { roots: ['answers'], answerIds: new Set() });
    return compiled ? evaluateBool(compiled, { answers: {} }, {}, true) : true;
  };
  /** Both conditions (a group's relevant and its question's own), printed as the translator does. */
  const and = (a: string | undefined, b: string | undefined): string | undefined => {
    if (!a) return b;
    if (!b) return a;
    return toJexl({ t: 'bin', op: 'and', l: fromJexl(a), r: fromJexl(b) });
  };
  /** A question's relevant; `false` when it reads only what was left out and can never hold. */
  const relevantOf = (it: Item, repeat: string | undefined, what: string): string | undefined | false => {
    if (!it.cells.relevant) return undefined;
    const r = reads();
    const jexl = xpath(it.cells.relevant, it.row, 'relevant', repeat, r);
    if (jexl === undefined || !only(r)) return jexl;
    if (constant(jexl)) return undefined;
    p.drop(it.row, what, `${listed(r)}: it is asked only when "${it.cells.relevant}", which cannot hold without it`);
    return false;
  };
  /** Every name in a part of the form, to mark them left out together. */
  const namesIn = (list: Item[]): string[] =>
    list.flatMap((it) => [...(it.name ? [it.name] : []), ...(it.kind.k === 'leaf' && it.kind.other ? [`${it.name}_other`] : []), ...(it.kind.k !== 'leaf' ? namesIn(it.kind.children) : [])]);

  const convertList = (list: Item[], repeat: string | undefined, groupRelevant: string | undefined): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    for (const it of list) {
      const before = p.unsupported.length;
      const q = convertItem(it, repeat, groupRelevant);
      if (p.unsupported.slice(before).some((u) => u.row === it.row) || skippedRows.has(it.row)) {
        for (const n of it.kind.k === 'leaf' ? namesIn([it]) : [it.name, ...namesIn(it.kind.children)]) if (n) leftOut.add(n);
        continue;
      }
      out.push(...q);
    }
    return out;
  };

  const convertItem = (it: Item, repeat: string | undefined, groupRelevant: string | undefined): Record<string, unknown>[] => {
    const c = it.cells;
    const own = relevantOf(it, repeat, it.kind.k === 'leaf' ? `"${it.name}"` : `group "${it.name}"`);
    if (own === false) return [];
    const relevant = and(groupRelevant, own);
    const labelReads = reads();
    const label = labelTexts(c, 'label', repeat, it.row, labelReads);

    if (it.kind.k === 'group' && !it.kind.repeat) {
      const out: Record<string, unknown>[] = [];
      // The group's label is shown once, as a note, before its questions.
      if (hasText(label) && it.name && !only(labelReads)) {
        setText(`${it.name}.prompt`, label, it.row);
        out.push({ id: it.name, type: 'note', ...(relevant ? { relevant } : {}) });
      }
      return [...out, ...convertList(it.kind.children, repeat, relevant)];
    }
    if (it.kind.k === 'group') return convertRepeat(it, label, relevant);
    if (it.kind.k !== 'leaf') return [];
    const kind = it.kind;

    if (kind.type === 'meta') return [{ id: it.name, type: 'meta', meta: kind.meta }];
    if (kind.type === 'hidden') return [{ id: it.name, type: 'calculate', ...(relevant ? { relevant } : {}), calculation: toJexl({ t: 'lit', v: c.default ?? '' }) }];
    // A computed answer (a calculation, or read_only with one) is never asked: a calculate, as in ODK.
    // With a trigger and a label it is asked, the calculation offered as its default.
    const triggered = c.trigger !== undefined && hasText(label) && kind.type !== 'calculate' && kind.type !== 'note' && yesNo(c.read_only) !== true;
    if (c.trigger !== undefined && !c.calculation) p.warn(it.row, `trigger "${c.trigger}" without a calculation only empties the answer in ODK: ignored`);
    if (kind.type === 'calculate' || (c.calculation && !triggered)) {
      if (!c.calculation) {
        p.error(it.row, `calculate "${it.name}" has no calculation`);
        return [];
      }
      const r = reads();
      const calculation = xpath(c.calculation, it.row, 'calculation', repeat, r);
      if (calculation !== undefined && only(r)) {
        p.drop(it.row, `calculate "${it.name}"`, `${listed(r)}: its calculation reads only what was left out`);
        return [];
      }
      return calculation !== undefined ? [{ id: it.name, type: 'calculate', ...(relevant ? { relevant } : {}), calculation }] : [];
    }
    for (const a of (c.appearance ?? '').toLowerCase().split(/\s+/)) {
      if (a.startsWith('ex:')) p.warn(it.row, `appearance ${a} opens another Android app in ODK: the chat asks the question itself`);
      const why = (Object.hasOwn(REFUSED_APPEARANCES, a) ? REFUSED_APPEARANCES[a] : undefined) ?? (a.startsWith('search(') ? 'the choices come from a CSV file attached to the form on the phone; a chat has no such file' : undefined);
      if (why) {
        p.refuse(it.row, `${c.type} with appearance ${a}`, why);
        return [];
      }
    }
    // pyxform takes a hint for a question without a label.
    const hint = labelTexts(c, 'hint', repeat, it.row, labelReads);
    const prompt = hasText(label) ? label : hint;
    const image = mediaImage(c);
    if (!hasText(prompt) && image) {
      p.refuse(it.row, `"${it.name}" with a picture and no text`, 'the chat cannot send pictures yet, so there is nothing to show');
      return [];
    }
    if (!hasText(prompt)) {
      p.error(it.row, `"${it.name}" has no label`);
      return [];
    }
    if (kind.type === 'note' || yesNo(c.read_only) === true) {
      // A note (or a read-only question, shown and never answered) that shows only what was left out goes with it.
      if (only(labelReads)) {
        p.drop(it.row, `note "${it.name}"`, `${listed(labelReads)}: its text shows only what was left out`);
        return [];
      }
      setText(`${it.name}.prompt`, prompt, it.row);
      return [{ id: it.name, type: 'note', ...(relevant ? { relevant } : {}), ...(image ? { image } : {}) }];
    }
    if (labelReads.left.size > 0) p.warn(it.row, `its text shows ${listed(labelReads)}, which was left out: shown empty`);
    setText(`${it.name}.prompt`, prompt, it.row);
    setText(`${it.name}.label`, shortLabel(prompt), it.row);

    const q: Record<string, unknown> = { id: it.name };
    let type = kind.type;
    if (type === 'acknowledge') type = 'single';
    q.type = type;
    if (relevant) q.relevant = relevant;
    if (image) q.image = image;
    const required = yesNo(c.required);
    if (required === undefined) {
      // Required when the expression holds.
      const expr = xpath(c.required!, it.row, 'required', repeat, reads());
      if (expr === undefined) return [];
      q.required = expr;
    } else if (type === 'photo' || type === 'audio' ? required : !required) {
      // XLSForm questions are optional unless required; the engine's default is the opposite (photo and audio: optional).
      q.required = required;
    }
    if (hasText(label) && hasText(hint)) {
      q.hint = `${it.name}.hint`;
      setText(`${it.name}.hint`, hint, it.row);
    }
    const requiredMessage = labelTexts(c, 'required_message', repeat, it.row);
    if (hasText(requiredMessage)) {
      q.requiredMessage = `${it.name}.required`;
      setText(`${it.name}.required`, requiredMessage, it.row);
    }
    if (c.constraint) {
      const constraint = xpath(c.constraint, it.row, 'constraint', repeat, reads(), { dot: { t: 'ref', root: 'value', name: '' } });
      if (constraint === undefined) return [];
      q.constraint = constraint;
      q.constraintMessage = `${it.name}.constraint`;
      const message = labelTexts(c, 'constraint_message', repeat, it.row);
      setText(`${it.name}.constraint`, hasText(message) ? message : generated('constraint'), hasText(message) ? it.row : 0);
    }
    const dynamic = triggered ? c.calculation : c.default !== undefined && /\$\{|\(/.test(c.default) ? c.default : undefined;
    if (dynamic !== undefined) {
      // A default computed from other answers when the question is asked.
      const defaultFrom = xpath(dynamic, it.row, triggered ? 'calculation' : 'default', repeat, reads());
      if (defaultFrom === undefined) return [];
      q.defaultFrom = defaultFrom;
    } else if (c.default !== undefined) {
      q.default = type === 'integer' || type === 'decimal' ? Number(c.default) : c.default;
      if (typeof q.default === 'number' && Number.isNaN(q.default)) p.error(it.row, `default "${c.default}" is not a number`);
    }

    if (kind.type === 'acknowledge') {
      q.choices = [{ id: 'OK' }];
      setText(`${it.name}.choices.OK`, generated('ok'), 0);
      return [q];
    }
    if (type !== 'single' && type !== 'multi') return [q];
    return convertSelect(it, kind, q, repeat, relevant, required);
  };

  /** The picture of a question (media::image), in the fallback language when it has several. */
  const mediaImage = (cells: Record<string, string>): string | undefined => {
    const images = textsOf(cells, 'media_image', langs, new Set());
    return images[langs.fallback] ?? LANGS.map((l) => images[l]).find((v) => v !== undefined) ?? Object.values(images)[0];
  };

  const convertSelect = (it: Item, kind: Extract<Kind, { k: 'leaf' }>, q: Record<string, unknown>, repeat: string | undefined, relevant: string | undefined, required: boolean | undefined): Record<string, unknown>[] => {
    const c = it.cells;
    const list = (kind.external ? externalLists : lists).get(kind.list!);
    if (!list) {
      p.error(it.row, `choice list "${kind.list}" does not exist in the ${kind.external ? 'external_choices' : 'choices'} sheet`);
      return [];
    }
    if (q.type === 'multi') {
      const spaced = list.find((ch) => /\s/.test(ch.name));
      if (spaced) p.error(`choices row ${spaced.row}`, `choice "${spaced.name}" has a space, which a select_multiple answer cannot hold`);
    }
    const choices: Record<string, unknown>[] = list.map((ch) => {
      // Without a label, pyxform shows the choice's name.
      setText(`${it.name}.choices.${ch.key}`, hasText(ch.labels) ? ch.labels : { [langs.fallback]: ch.name }, hasText(ch.labels) ? ch.row : 0);
      return { id: ch.name, ...(ch.key !== ch.name ? { label: `${it.name}.choices.${ch.key}` } : {}), ...(Object.keys(ch.data).length > 0 ? { data: ch.data } : {}) };
    });
    if (kind.other) {
      if (list.some((ch) => ch.name === 'other')) p.error(it.row, `list "${kind.list}" already has a choice "other"; drop or_other`);
      choices.push({ id: 'other' });
      setText(`${it.name}.choices.other`, generated('other'), 0);
    }
    q.choices = choices;
    if (c.choice_filter) {
      const filter = xpath(c.choice_filter, it.row, 'choice_filter', repeat, reads(), { bareNames: (n) => ({ t: 'ref', root: 'item', name: n === 'name' ? 'id' : n }) });
      if (filter === undefined) return [];
      q.filter = filter;
    }
    if (c.parameters) {
      const params = Object.fromEntries([...c.parameters.matchAll(/([A-Za-z_-]+)\s*=\s*(\$\{[^}]*\}|[^\s,;]+)/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
      if (yesNo(params.randomize) === true) {
        q.randomize = true;
        if (params.seed !== undefined) {
          const seed = /^-?\d+$/.test(params.seed) ? Number(params.seed) : xpath(params.seed, it.row, 'parameters seed', repeat, reads());
          if (seed === undefined) return [];
          q.seed = seed;
        }
      }
      for (const name of Object.keys(params)) if (name !== 'randomize' && name !== 'seed') p.warn(it.row, `parameter "${name}" has no meaning in chat: ignored`);
    }
    if (q.type === 'multi' && required !== true) q.minSelected = 0;
    if (!kind.other) return [q];
    // "or_other": a text question asked when "other" is chosen, named <name>_other as pyxform does.
    const otherId = `${it.name}_other`;
    const otherSelected = toJexl({ t: 'call', name: 'selected', args: [{ t: 'ref', root: repeat ? 'group' : 'answers', name: it.name }, { t: 'lit', v: 'other' }] });
    setText(`${otherId}.prompt`, generated('other_prompt'), 0);
    setText(`${otherId}.label`, shortLabel(generated('other_prompt')), 0);
    return [q, { id: otherId, type: 'text', relevant: and(relevant, otherSelected), ...(required === true ? {} : { required: false }) }];
  };

  const convertRepeat = (it: Item, label: TextSet, relevant: string | undefined): Record<string, unknown>[] => {
    if (it.kind.k !== 'group') return [];
    const c = it.cells;
    const g: Record<string, unknown> = { id: it.name, type: 'group', repeat: true };
    if (relevant) g.relevant = relevant;
    const title = hasText(label) ? label : { [langs.fallback]: it.name };
    setText(`${it.name}.label`, shortLabel(title), it.row);
    const fill = (l: Lang): string => shortLabel(title)[l] ?? shortLabel(title)[langs.fallback] ?? Object.values(shortLabel(title))[0] ?? it.name;
    setText(`${it.name}.prompt`, Object.fromEntries(LANGS.map((l) => [l, generated('repeat_prompt', { label: fill(l) })[l]!])), 0);
    if (c.repeat_count) {
      const n = Number(c.repeat_count);
      if (Number.isInteger(n) && n >= 0) g.repeatCount = n;
      else {
        const r = reads();
        const count = xpath(c.repeat_count, it.row, 'repeat_count', undefined, r);
        if (count === undefined) return [];
        if (only(r)) {
          p.drop(it.row, `repeat "${it.name}"`, `${listed(r)}: its repeat_count reads only what was left out`);
          return [];
        }
        g.repeatCount = count;
      }
    }
    // Asked only without repeat_count, but every repeat group has the text (flows:check).
    setText(`${it.name}.add_another`, Object.fromEntries(LANGS.map((l) => [l, generated('add_another', { label: fill(l) })[l]!])), 0);
    g.questions = convertList(it.kind.children, it.name, undefined);
    if ((g.questions as unknown[]).length === 0) {
      if (it.kind.children.length > 0 && p.unsupported.length > 0) p.drop(it.row, `repeat "${it.name}"`, 'its questions: none is left to ask');
      else p.error(it.row, `repeat "${it.name}" has no questions`);
      return [];
    }
    return [g];
  };

  const questions = convertList(items, undefined, undefined);

  // Flow header.
  const formId = settings.form_id ?? settings.id_string ?? settings.set_form_id;
  const id = normaliseId(options.id ?? formId ?? fileName.replace(/\.[^.]+$/, ''));
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) p.error('settings', `flow id "${id}" must use only a-z, 0-9 and - (give --id)`);
  // settings "roles" is this project's own column (flows:export writes it), e.g. "warga pokja".
  const settingsRoles = settings.roles?.split(/[\s,]+/).filter((r) => r !== '');
  const badRole = settingsRoles?.find((r) => !(ROLES as readonly string[]).includes(r));
  if (badRole) p.error('settings', `roles: "${badRole}" is not a role (${ROLES.join(', ')})`);
  const roles = options.roles ?? (settingsRoles && !badRole ? (settingsRoles as Role[]) : [...ROLES]);
  const title = settings.form_title ?? settings.title ?? settings.set_form_title ?? formId ?? fileName.replace(/\.[^.]+$/, '');
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
  for (const language of otherLanguages) p.warnings.push(`language "${language}" is not offered by the chat (id, en): its texts are used only where a row has no Indonesian or English text`);

  const skipped = [...p.unsupported].sort((a, b) => a.row - b.row).map((u) => u.text);
  if (p.errors.length > 0 || (skipped.length > 0 && !options.skipUnsupported)) {
    throw new XlsFormError([...p.errors, ...skipped, ...(skipped.length > 0 && p.errors.length === 0 ? ['(import the rest with --skip-unsupported)'] : [])]);
  }
  if (questions.length === 0) throw new XlsFormError([...skipped, `${fileName}: survey: nothing is left that a chat can ask`]);

  // Last, the engine's own checks (expressions referring to later questions, etc.), by row.
  try {
    const compiled = parseFlow(stringify(flow), `${id}.yaml`);
    // Texts of what was left out go too (flows:check refuses a text no question uses).
    const used = new Set(translationKeyUses(compiled).map((u) => u.key.slice(compiled.namespace.length + 1)));
    for (const lang of LANGS) texts[lang] = keep(texts[lang], used);
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

/** The texts whose dotted keys are in `used`. */
function keep(texts: Record<string, unknown>, used: Set<string>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(texts)) {
    const key = `${prefix}${k}`;
    if (v && typeof v === 'object') {
      const inner = keep(v as Record<string, unknown>, used, `${key}.`);
      if (Object.keys(inner).length > 0) out[k] = inner;
    } else if (used.has(key)) out[k] = v;
  }
  return out;
}

/** An expression that reads an answer given later in the form. */
class LaterAnswer extends ExprError {
  constructor(name: string, row: number) {
    super(`it reads \${${name}} of row ${row}, which a chat asks later (a chat asks in order)`);
  }
}
