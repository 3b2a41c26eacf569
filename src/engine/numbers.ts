/**
 * Numbers as villagers type them. Indonesian style first: '.' groups thousands and ',' is the
 * decimal mark ("1.500" = 1500, "1,5" = 1.5). A plain "1.5" (not three digits after the dot)
 * is read as a decimal because it cannot be a thousands group.
 */

/** Parses one number, allowing a trailing unit word ("30 KK", "50%"). Returns undefined when unclear. */
export function parseLocalNumber(input: string): number | undefined {
  const m = /^\s*([+-]?)\s*(\d[\d.,]*)\s*(%|[a-zA-Z][a-zA-Z ]*)?\s*$/.exec(input);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2]!;
  const n = parseDigits(body);
  return n === undefined ? undefined : sign * n;
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
