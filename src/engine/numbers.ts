/**
 * Numbers as villagers type them. Indonesian style first: '.' groups thousands and ',' is the
 * decimal mark ("1.500" = 1500, "1,5" = 1.5). A plain "1.5" (not three digits after the dot)
 * is read as a decimal because it cannot be a thousands group. Estimates are taken at their
 * number ("sekitar 20", "± 20", "20an", "kurang lebih 20"), and so are numbers in words
 * ("dua puluh lima", "seratus", "twenty five").
 */
import { normalizeCommandWord } from './text.js';

/** Words that only say the number is an estimate: "sekitar 20", "kurang lebih 20". */
const ESTIMATE_BEFORE = /^(?:(?:sekitar|sekitaran|kira[- ]?kira|kira2|kurang lebih|lebih kurang|kurleb|k\.?l\.?|hampir|approx\.?|approximately|about|around|roughly)\s*|(?:±|\+\/?-|~)\s*)+/;
/** "20an", "20-an", "20 lebih", "puluhan" end. */
const ESTIMATE_AFTER = /(?:\s*-?an)?(?:\s+(?:lebih|an|more|or so))?$/;

/** Parses one number, allowing a trailing unit word ("30 KK", "50%"). Returns undefined when unclear. */
export function parseLocalNumber(input: string): number | undefined {
  const text = normalizeCommandWord(input).replace(ESTIMATE_BEFORE, '').replace(/(\d)\s*-\s*an\b/, '$1an').trim();
  const m = /^([+-]?)\s*(\d[\d.,]*)\s*(%|[a-z][a-z ]*)?$/.exec(text);
  if (m) {
    const sign = m[1] === '-' ? -1 : 1;
    const n = parseDigits(m[2]!);
    return n === undefined ? undefined : sign * n;
  }
  return parseNumberWords(text.replace(ESTIMATE_AFTER, ''));
}

// Maps, not objects: a typed word is looked up, and "constructor" must be no number.
const ID_UNITS = new Map(Object.entries({
  nol: 0, kosong: 0, satu: 1, dua: 2, tiga: 3, empat: 4, lima: 5, enam: 6, tujuh: 7, delapan: 8, sembilan: 9,
}));
const EN_UNITS = new Map(Object.entries({
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
  twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
}));
/** Whole numbers said with "se-": sepuluh, sebelas, seratus, seribu, sejuta. */
const SE_WORDS = new Map(Object.entries({ sepuluh: 10, sebelas: 11, seratus: 100, seribu: 1000, sejuta: 1_000_000 }));
const SMALL_MULTIPLIERS = new Map(Object.entries({ puluh: 10, ratus: 100, hundred: 100 }));
const LARGE_MULTIPLIERS = new Map(Object.entries({ ribu: 1000, juta: 1_000_000, thousand: 1000, million: 1_000_000 }));

/** True when a word is, or is part of, a number said in words. */
export function isNumberWord(word: string): boolean {
  return [ID_UNITS, EN_UNITS, SE_WORDS, SMALL_MULTIPLIERS, LARGE_MULTIPLIERS].some((m) => m.has(word)) || word === 'belas';
}

/**
 * "dua puluh lima" -> 25, "seratus" -> 100, "tiga ribu lima ratus" -> 3500, "twenty five" -> 25.
 * Words after the number that are not number words are units ("dua puluh KK"). Undefined when unclear.
 */
export function parseNumberWords(input: string): number | undefined {
  const words = normalizeCommandWord(input).replace(/-/g, ' ').split(' ').filter((w) => w !== '' && w !== 'and' && w !== 'dan');
  let total = 0;
  let group = 0;
  let unit: number | undefined;
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    const base = ID_UNITS.get(w) ?? EN_UNITS.get(w);
    const se = SE_WORDS.get(w);
    const small = SMALL_MULTIPLIERS.get(w);
    const large = LARGE_MULTIPLIERS.get(w);
    if (base !== undefined) {
      if (unit !== undefined && !(unit >= 20 && unit % 10 === 0 && base < 10)) return undefined; // "dua tiga"
      unit = (unit ?? 0) + base;
    } else if (se !== undefined) {
      if (unit !== undefined) return undefined;
      if (se >= 1000) {
        total += group + se;
        group = 0;
      } else group += se;
    } else if (w === 'belas') {
      if (unit === undefined || unit < 1 || unit > 9) return undefined;
      group += 10 + unit;
      unit = undefined;
    } else if (small !== undefined) {
      if (unit === undefined || unit < 1 || (w === 'puluh' && unit > 9)) return undefined;
      group += unit * small;
      unit = undefined;
    } else if (large !== undefined) {
      const g = group + (unit ?? 0);
      if (g === 0) return undefined;
      total += g * large;
      group = 0;
      unit = undefined;
    } else {
      break;
    }
  }
  if (i === 0) return undefined;
  // Anything after the number is a unit word, never another number ("tiga atau empat").
  if (words.slice(i).some((w) => isNumberWord(w) || !/^[a-z%]+$/.test(w) || w === 'atau' || w === 'or' || w === 'sampai')) return undefined;
  return total + group + (unit ?? 0);
}

function parseDigits(s: string): number | undefined {
  if (/[.,]$/.test(s)) return undefined;
  const dots = count(s, '.');
  const commas = count(s, ',');
  if (dots === 0 && commas === 0) return Number(s);
  if (dots > 0 && commas > 0) {
    // Both marks: the last one is the decimal mark, the other groups thousands.
    const decimalMark = s.lastIndexOf('.') > s.lastIndexOf(',') ? '.' : ',';
    const groupMark = decimalMark === '.' ? ',' : '.';
    const [intPart, frac, ...rest] = s.split(decimalMark);
    if (rest.length > 0 || frac === undefined || !/^\d+$/.test(frac)) return undefined;
    const whole = ungroup(intPart!, groupMark);
    return whole === undefined ? undefined : Number(`${whole}.${frac}`);
  }
  const mark = dots > 0 ? '.' : ',';
  const n = dots + commas;
  if (n > 1) {
    const whole = ungroup(s, mark);
    return whole === undefined ? undefined : Number(whole);
  }
  const [a, b] = s.split(mark) as [string, string];
  // One dot followed by exactly three digits and a non-zero lead is a thousands group ("1.500").
  if (mark === '.' && b.length === 3 && !/^0+$/.test(a)) return Number(a + b);
  // Otherwise it is a decimal mark: "1,5", "1.5", "0.500".
  return Number(`${a}.${b}`);
}

/** "1.500.000" -> "1500000" when every group after the first has three digits. */
function ungroup(s: string, mark: string): string | undefined {
  const parts = s.split(mark);
  if (!/^\d{1,3}$/.test(parts[0]!)) return undefined;
  if (!parts.slice(1).every((p) => /^\d{3}$/.test(p))) return undefined;
  return parts.join('');
}

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

/** Shows a number with the language's decimal mark and no thousands grouping (short and unambiguous). */
export function formatLocalNumber(n: number, decimalSeparator: string): string {
  return String(n).replace('.', decimalSeparator);
}
