/**
 * Expression functions for flows imported from XLSForm (src/xlsform/xpath.ts translates the
 * XPath calls to these names): every function of the ODK XForms spec a server can compute.
 * Each tolerates a missing answer the way ODK does: an unanswered question is an empty text, so
 * functions return '' / 0 / false / NaN rather than throw.
 *
 *   math     sin cos tan asin acos atan atan2 sqrt exp exp10 log log10 pow pi abs round int
 *   strings  substr substringBefore substringAfter translate contains startsWith endsWith
 *            normalizeSpace join stringLength concat regex
 *   dates    today now date decimalDateTime decimalTime dateTime formatDate
 *   choices  selected selectedAt countSelected choiceName
 *   repeats  position indexedRepeat count countNonEmpty sum max min column
 *   other    coalesce once uuid booleanFromString boolean number string isEmpty
 */
import { createHash, randomUUID } from 'node:crypto';
import { localDateTime } from './dates.js';

/** What the functions may read of the current step (set by the engine for each evaluation). */
export interface XlsFormScope {
  /** The member's local date, yyyy-mm-dd. */
  today?: string;
  now?: Date;
  /** The member's time zone: a date-time shown or cut to a date is local there. */
  timeZone?: string;
  /** Month and weekday names in the member's language (format-date %b, %a), January / Sunday first. */
  months?: string[];
  days?: string[];
  /** jr:choice-name(): the label of choice `value` of question `questionId`, in the member's language. */
  choiceLabel?: (questionId: string, value: string) => string | undefined;
  /** once(): the value the calculation already holds. */
  current?: unknown;
  /** uuid(): the same run and question give the same ids (the run's seed, drawn when it started). */
  seed?: string;
  /** position(..): the number of the repeat item being answered (1 for the first). */
  position?: number;
}

const DAY_MS = 86_400_000;

export function isEmptyValue(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'number' && Number.isNaN(v));
}

/** A select_multiple answer is a list of ids; ODK's is a space-separated text. Both are read. */
function selections(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return v.split(/\s+/).filter((s) => s !== '');
  if (v === null || v === undefined) return [];
  return [String(v)];
}

function text(v: unknown): string {
  if (isEmptyValue(v)) return '';
  if (Array.isArray(v)) return v.map(String).join(' ');
  return String(v);
}

/** XPath number(): '' and words are NaN, true is 1. */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = text(v).trim();
  return s === '' ? NaN : Number(s);
}

function numbers(args: unknown[]): number[] {
  return args.flatMap((a) => (Array.isArray(a) ? a : [a])).filter((a) => !isEmptyValue(a)).map(num).filter((n) => !Number.isNaN(n));
}

const regexCache = new Map<string, RegExp | null>();
function regexOf(source: string): RegExp | null {
  if (!regexCache.has(source)) {
    let re: RegExp | null;
    try {
      re = new RegExp(source, 'u');
    } catch {
      re = null;
    }
    if (regexCache.size > 500) regexCache.clear();
    regexCache.set(source, re);
  }
  return regexCache.get(source) ?? null;
}

/** A date (yyyy-mm-dd: its whole day), a date-time (ISO, any offset) or a number of days -> days since 1970-01-01. */
export function toDays(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = text(v).trim();
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (d) return Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])) / DAY_MS;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s)) {
    const t = Date.parse(s);
    return Number.isNaN(t) ? NaN : t / DAY_MS;
  }
  return s === '' ? NaN : Number(s);
}

/** The calendar parts of a date, a date-time (local in `timeZone`) or a number of days. */
function partsOf(v: unknown, timeZone: string | undefined): { year: number; month: number; day: number; hour: number; minute: number; second: number; ms: number; weekday: number } | undefined {
  const s = typeof v === 'number' ? '' : text(v).trim();
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (d) {
    const t = new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])));
    return { year: Number(d[1]), month: Number(d[2]), day: Number(d[3]), hour: 0, minute: 0, second: 0, ms: 0, weekday: t.getUTCDay() };
  }
  const days = toDays(v);
  if (Number.isNaN(days)) return undefined;
  const at = new Date(Math.round(days * DAY_MS));
  // A number of days counts from midnight UTC; a date-time is shown where the member lives.
  return localDateTime(at, typeof v === 'number' ? 'UTC' : (timeZone ?? 'UTC'));
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** ODK format-date: %Y %y %m %n %b %d %e %a %H %h %M %S %3. */
function formatDate(v: unknown, format: unknown, scope: XlsFormScope): string {
  const p = partsOf(v, scope.timeZone);
  if (!p) return '';
  const months = scope.months ?? ENGLISH_MONTHS;
  const days = scope.days ?? ENGLISH_DAYS;
  return text(format).replace(/%([YymnbdeaHhMS3])/g, (_, f: string) => {
    switch (f) {
      case 'Y': return String(p.year);
      case 'y': return pad(p.year % 100);
      case 'm': return pad(p.month);
      case 'n': return String(p.month);
      case 'b': return (months[p.month - 1] ?? '').slice(0, 3);
      case 'd': return pad(p.day);
      case 'e': return String(p.day);
      case 'a': return (days[p.weekday] ?? '').slice(0, 3);
      case 'H': return pad(p.hour);
      case 'h': return String(p.hour);
      case 'M': return pad(p.minute);
      case 'S': return pad(p.second);
      default: return pad(p.ms, 3);
    }
  });
}
const ENGLISH_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ENGLISH_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** date(): a number of days, a date or a date-time (its local day) -> yyyy-mm-dd. */
function toDate(v: unknown, scope: XlsFormScope): string {
  if (isEmptyValue(v)) return '';
  const p = partsOf(typeof v === 'string' && !/^\d{4}-/.test(v.trim()) ? num(v) : v, scope.timeZone);
  return p ? `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}` : '';
}

/** XPath translate(): each character of `from` becomes the one at its place in `to`, or goes. */
function translate(s: unknown, from: unknown, to: unknown): string {
  const f = [...text(from)];
  const t = [...text(to)];
  return [...text(s)].map((c) => {
    const i = f.indexOf(c);
    return i < 0 ? c : (t[i] ?? '');
  }).join('');
}

/**
 * ODK (JavaRosa) round: round(x) as Math.round (-2.5 -> -2); round(x, digits) half away from
 * zero on the decimal digits as written (1.005 -> 1.01, -2.5 -> -3).
 */
function round(v: unknown, digits: unknown): number {
  const x = num(v);
  if (digits === undefined) return Math.round(x);
  const d = Math.trunc(num(digits));
  if (!Number.isFinite(x) || Number.isNaN(d)) return NaN;
  const r = Math.round(Number(`${Math.abs(x)}e${d}`));
  return Math.sign(x) * Number(`${r}e${-d}`);
}

/** uuid(): a version 4 uuid, the same for the same run, question and call; uuid(n): n random letters and digits. */
function uuid(scope: XlsFormScope, length: unknown, call: number): string {
  const bytes = scope.seed === undefined ? undefined : createHash('sha256').update(`${scope.seed}:${call}`).digest();
  if (length !== undefined) {
    const n = Math.max(0, Math.trunc(num(length)));
    const source = bytes ?? createHash('sha256').update(randomUUID()).digest();
    const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[source[i % source.length]! % alphabet.length];
    return out;
  }
  if (!bytes) return randomUUID();
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function xlsformFunctions(scope: () => XlsFormScope): Record<string, (...args: unknown[]) => unknown> {
  // uuid() twice in one expression gives two ids: the calls are counted per evaluation.
  let calls = 0;
  let lastScope: XlsFormScope | undefined;
  const call = (): number => {
    if (scope() !== lastScope) {
      lastScope = scope();
      calls = 0;
    }
    return calls++;
  };
  const math = (f: (...x: number[]) => number) => (...args: unknown[]) => f(...args.map(num));
  return {
    // ---- math
    sin: math(Math.sin),
    cos: math(Math.cos),
    tan: math(Math.tan),
    asin: math(Math.asin),
    acos: math(Math.acos),
    atan: math(Math.atan),
    atan2: math(Math.atan2),
    sqrt: math(Math.sqrt),
    exp: math(Math.exp),
    exp10: math((x) => 10 ** x),
    log: math(Math.log),
    log10: math(Math.log10),
    pow: math((x, y) => x ** y),
    pi: () => Math.PI,
    abs: math(Math.abs),
    round,
    int: (v) => Math.trunc(num(v)),
    number: (v) => num(v),

    // ---- strings
    string: (v) => text(v),
    concat: (...args) => args.map(text).join(''),
    stringLength: (v) => [...text(v)].length,
    /** substr(s, start, end): from `start` (0 first) to before `end`. */
    substr: (s, start, end) => {
      const chars = [...text(s)];
      return chars.slice(Math.max(0, Math.trunc(num(start))), end === undefined ? undefined : Math.max(0, Math.trunc(num(end)))).join('');
    },
    substringBefore: (s, t) => {
      const i = text(s).indexOf(text(t));
      return i < 0 ? '' : text(s).slice(0, i);
    },
    substringAfter: (s, t) => {
      const i = text(s).indexOf(text(t));
      return i < 0 ? '' : text(s).slice(i + text(t).length);
    },
    translate,
    contains: (a, b) => text(a).includes(text(b)),
    startsWith: (a, b) => text(a).startsWith(text(b)),
    endsWith: (a, b) => text(a).endsWith(text(b)),
    normalizeSpace: (v) => text(v).trim().replace(/\s+/g, ' '),
    /** join(', ', answers of a repeat, or the choices of a select_multiple). */
    join: (sep, ...lists) => lists.flatMap((l) => (Array.isArray(l) ? l : [l])).filter((x) => !isEmptyValue(x)).map(text).join(text(sep)),
    /** ODK semantics: the pattern is searched for, so anchor it with ^...$ to match the whole answer. */
    regex: (v, pattern) => regexOf(String(pattern))?.test(text(v)) ?? false,

    // ---- dates
    today: () => scope().today ?? '',
    now: () => scope().now?.toISOString() ?? '',
    date: (v) => toDate(v, scope()),
    /** Days since 1970-01-01 (a date is its whole day, a date-time the exact moment). */
    decimalDateTime: (v) => toDays(v),
    /** A time of day as a fraction of the day: 06:00 -> 0.25. */
    decimalTime: (v) => {
      const m = /^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?/.exec(text(v).trim());
      return m ? (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0)) / 86_400 : NaN;
    },
    /** date-time(days) -> the ISO date-time (UTC), as now() gives. */
    dateTime: (v) => {
      const days = toDays(v);
      return Number.isNaN(days) ? '' : new Date(Math.round(days * DAY_MS)).toISOString();
    },
    formatDate: (v, format) => formatDate(v, format, scope()),

    // ---- choices
    /** selected(answers.x, 'id'): the choice is among the answer (one or several). */
    selected: (v, id) => selections(v).includes(text(id)),
    /** selected-at(answers.x, 0): the first choice picked. */
    selectedAt: (v, i) => selections(v)[Math.trunc(num(i))] ?? '',
    countSelected: (v) => selections(v).length,
    choiceName: (v, questionId) => (isEmptyValue(v) ? '' : (scope().choiceLabel?.(text(questionId), text(v)) ?? '')),

    // ---- repeats
    position: () => scope().position ?? 1,
    /** indexed-repeat(${x}, ${group}, n): answer x of item n (1 for the first). */
    indexedRepeat: (list, field, n) => {
      const item = Array.isArray(list) ? list[Math.trunc(num(n)) - 1] : undefined;
      const v = item && typeof item === 'object' ? (item as Record<string, unknown>)[text(field)] : undefined;
      return v ?? '';
    },
    sum: (list) => numbers([list]).reduce((s, n) => s + n, 0),
    count: (list) => (Array.isArray(list) ? list.length : isEmptyValue(list) ? 0 : 1),
    countNonEmpty: (list) => (Array.isArray(list) ? list.filter((x) => !isEmptyValue(x)).length : isEmptyValue(list) ? 0 : 1),
    max: (...args) => (numbers(args).length ? Math.max(...numbers(args)) : NaN),
    min: (...args) => (numbers(args).length ? Math.min(...numbers(args)) : NaN),
    /** The answers to one question over every item of a repeat group: column(answers.members, 'age'). */
    column: (list, field) =>
      Array.isArray(list) ? list.map((x) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[String(field)] : undefined)) : [],

    // ---- other
    coalesce: (a, b) => (isEmptyValue(a) ? b : a),
    /** once(x): x the first time, then the value the calculation already holds. */
    once: (v) => (isEmptyValue(scope().current) ? v : scope().current),
    uuid: (length) => uuid(scope(), length, call()),
    booleanFromString: (v) => ['true', '1'].includes(text(v).trim()),
    /** XPath boolean(): a non-empty text, a non-zero number, a non-empty list. */
    boolean: (v) => (typeof v === 'number' ? v !== 0 && !Number.isNaN(v) : typeof v === 'boolean' ? v : !isEmptyValue(v)),
    isEmpty: (v) => isEmptyValue(v),
  };
}
