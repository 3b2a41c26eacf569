/**
 * Expression functions for flows imported from XLSForm (src/xlsform/xpath.ts translates the
 * XPath calls to these names). Each tolerates a missing answer the way ODK does: an unanswered
 * question is an empty text, so functions return '' / 0 / false rather than throw.
 */

/** What the functions may read of the current step (set by the engine for each evaluation). */
export interface XlsFormScope {
  /** The member's local date, yyyy-mm-dd. */
  today?: string;
  now?: Date;
}

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

function numbers(args: unknown[]): number[] {
  return args.flatMap((a) => (Array.isArray(a) ? a : [a])).filter((a) => !isEmptyValue(a)).map(Number).filter((n) => !Number.isNaN(n));
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

export function xlsformFunctions(scope: () => XlsFormScope): Record<string, (...args: unknown[]) => unknown> {
  return {
    /** selected(answers.x, 'id'): the choice is among the answer (one or several). */
    selected: (v, id) => selections(v).includes(String(id)),
    countSelected: (v) => selections(v).length,
    stringLength: (v) => text(v).length,
    today: () => scope().today ?? '',
    now: () => scope().now?.toISOString() ?? '',
    concat: (...args) => args.map(text).join(''),
    coalesce: (a, b) => (isEmptyValue(a) ? b : a),
    /** ODK semantics: the pattern is searched for, so anchor it with ^...$ to match the whole answer. */
    regex: (v, pattern) => regexOf(String(pattern))?.test(text(v)) ?? false,
    isEmpty: (v) => isEmptyValue(v),
    int: (v) => (isEmptyValue(v) ? NaN : Math.trunc(Number(v))),
    number: (v) => (isEmptyValue(v) ? NaN : Number(v)),
    round: (v, digits) => {
      const f = 10 ** Number(digits ?? 0);
      return Math.round(Number(v) * f) / f;
    },
    string: (v) => text(v),
    contains: (a, b) => text(a).includes(text(b)),
    startsWith: (a, b) => text(a).startsWith(text(b)),
    sum: (list) => numbers([list]).reduce((s, n) => s + n, 0),
    count: (list) => (Array.isArray(list) ? list.length : isEmptyValue(list) ? 0 : 1),
    countNonEmpty: (list) => (Array.isArray(list) ? list.filter((x) => !isEmptyValue(x)).length : isEmptyValue(list) ? 0 : 1),
    max: (...args) => (numbers(args).length ? Math.max(...numbers(args)) : NaN),
    min: (...args) => (numbers(args).length ? Math.min(...numbers(args)) : NaN),
    /** An ISO date text is already comparable; date('2024-01-01') is that text. */
    date: (v) => text(v),
    /** The answers to one question over every item of a repeat group: column(answers.members, 'age'). */
    column: (list, field) =>
      Array.isArray(list) ? list.map((x) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[String(field)] : undefined)) : [],
  };
}
