/**
 * Every XPath function of the issue, written as a form writes it, translated by the importer and
 * evaluated by the engine on the server, against values worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { compileExpression, evaluate, type ExprScope } from '../../src/engine/expressions.js';
import { parseXPath, toJexl, type XPathContext } from '../../src/xlsform/xpath.js';

/** Answers of a small household form: s (select_multiple), s1 (select_one), n, t, d, dt and a repeat "anggota" (nama, umur). */
const ANSWERS = {
  s: ['pala', 'cengkeh'],
  s1: 'pala',
  n: 7,
  t: '  Seram   Bagian  Timur ',
  d: '2024-09-17',
  dt: '2024-09-17T00:30:00.000Z',
  kosong: null,
  anggota: [
    { nama: 'Siti', umur: 12 },
    { nama: 'Abdul', umur: 45 },
  ],
};
const IN_REPEAT = new Set(['nama', 'umur']);
const LABELS: Record<string, Record<string, string>> = { s1: { pala: 'Kebun pala', cengkeh: 'Kebun cengkeh' } };

/** XPath as in a form (${x}; inside the repeat its own item's answers) -> the engine's value. */
function run(xpath: string, where: { item?: number; current?: unknown; seed?: string } = {}): unknown {
  const ctx: XPathContext = {
    ref: (name) => {
      if (!IN_REPEAT.has(name)) return { t: 'ref', root: 'answers', name };
      if (where.item !== undefined) return { t: 'ref', root: 'group', name };
      return { t: 'call', name: 'column', args: [{ t: 'ref', root: 'answers', name: 'anggota' }, { t: 'lit', v: name }] };
    },
  };
  const jexl = toJexl(parseXPath(xpath, ctx));
  const { compiled, problems } = compileExpression(jexl, {
    roots: ['answers', 'group'],
    answerIds: new Set(Object.keys(ANSWERS)),
    groupIds: IN_REPEAT,
  });
  expect(problems).toEqual([]);
  const scope: ExprScope = {
    today: '2026-11-27',
    now: new Date('2026-11-27T02:00:00Z'),
    timeZone: 'Asia/Jayapura',
    months: 'Januari,Februari,Maret,April,Mei,Juni,Juli,Agustus,September,Oktober,November,Desember'.split(','),
    days: 'Minggu,Senin,Selasa,Rabu,Kamis,Jumat,Sabtu'.split(','),
    choiceLabel: (id, value) => LABELS[id]?.[value],
    ...(where.current !== undefined ? { current: where.current } : {}),
    ...(where.seed !== undefined ? { seed: where.seed } : {}),
  };
  const group = where.item !== undefined ? ANSWERS.anggota[where.item - 1] : undefined;
  return evaluate(compiled!, { answers: ANSWERS, ...(group ? { group, position: where.item } : {}) }, scope, 'ERROR');
}

describe('math', () => {
  it.each([
    ['sin(pi() div 2)', 1],
    ['cos(0)', 1],
    ['tan(0)', 0],
    ['asin(1)', Math.PI / 2],
    ['acos(1)', 0],
    ['atan(1) * 4', Math.PI],
    ['atan2(1, 1)', Math.PI / 4],
    ['sqrt(16)', 4],
    ['sqrt(${n} + 9)', 4],
    ['exp(0)', 1],
    ['exp10(3)', 1000],
    ['log(1)', 0],
    ['log10(1000)', 3],
    ['pow(2, 10)', 1024],
    ['pi()', 3.141592653589793],
    ['abs(-3.5)', 3.5],
    ['round(1.005, 2)', 1.01],
    ['round(1234.5678, -2)', 1200],
  ])('%s = %s', (xpath, expected) => {
    expect(run(xpath)).toBeCloseTo(expected as number, 12);
  });
});

describe('strings', () => {
  it.each([
    ["substr('abcdef', 1, 3)", 'bc'],
    ["substr('Seram Timur', 6)", 'Timur'],
    ["substring-before('2024-09-17', '-')", '2024'],
    ["substring-after('2024-09-17', '-')", '09-17'],
    ["substring-after('Waru', 'x')", ''],
    ["translate('banda', 'abc', 'ABC')", 'BAndA'],
    ["translate('0812-345', '-', '')", '0812345'],
    ["ends-with('Kataloka', 'oka')", true],
    ["ends-with('Kataloka', 'Kata')", false],
    ['normalize-space(${t})', 'Seram Bagian Timur'],
    ["join(', ', ${nama})", 'Siti, Abdul'],
    ["join(' dan ', ${s})", 'pala dan cengkeh'],
  ])('%s = %j', (xpath, expected) => {
    expect(run(xpath)).toEqual(expected);
  });
});

describe('dates (the member lives in Asia/Jayapura, UTC+9; today is 27 November 2026)', () => {
  it.each([
    // 20000 days after 1970-01-01: 19723 days to 2024-01-01 (54 years, 13 leap days), then 277 more.
    ['date(20000)', '2024-10-04'],
    // 20:00 UTC is 05:00 the next morning in Jayapura.
    ["date('2024-09-17T20:00:00.000Z')", '2024-09-18'],
    ["decimal-date-time('2024-10-04')", 20000],
    ["decimal-date-time('1970-01-01T18:00:00.000Z')", 0.75],
    ['decimal-date-time(today()) - decimal-date-time(${d})', 801],
    ['date-time(0.5)', '1970-01-01T12:00:00.000Z'],
    ['date-time(decimal-date-time(${d}) + 1)', '2024-09-18T00:00:00.000Z'],
    ["format-date(${d}, '%e %b %Y')", '17 Sep 2024'],
    ["format-date(${d}, '%d/%m/%y')", '17/09/24'],
    ["format-date(${d}, '%a %n')", 'Sel 9'],
    // 00:30 UTC is 09:30 in Jayapura.
    ["format-date(${dt}, '%H.%M %e-%m')", '09.30 17-09'],
    ["format-date(${kosong}, '%Y')", ''],
  ])('%s = %j', (xpath, expected) => {
    expect(run(xpath)).toEqual(expected);
  });
});

describe('choices', () => {
  it.each([
    ['selected-at(${s}, 0)', 'pala'],
    ['selected-at(${s}, 1)', 'cengkeh'],
    ['selected-at(${s}, 2)', ''],
    ["jr:choice-name(${s1}, '${s1}')", 'Kebun pala'],
    ["jr:choice-name('cengkeh', '${s1}')", 'Kebun cengkeh'],
    ["jr:choice-name(${kosong}, '${s1}')", ''],
  ])('%s = %j', (xpath, expected) => {
    expect(run(xpath)).toEqual(expected);
  });
});

describe('repeats', () => {
  it.each([
    ['indexed-repeat(${nama}, ${anggota}, 2)', 'Abdul'],
    ['indexed-repeat(${nama}, ${anggota}, 3)', ''],
  ])('%s = %j', (xpath, expected) => {
    expect(run(xpath)).toEqual(expected);
  });

  it('position(..) is the number of the item being answered, indexed-repeat reads another item', () => {
    expect(run('position(..)', { item: 2 })).toBe(2);
    expect(run('indexed-repeat(${nama}, ${anggota}, position(..) - 1)', { item: 2 })).toBe('Siti');
    expect(run("concat(${nama}, ' (', ${umur}, ')')", { item: 1 })).toBe('Siti (12)');
  });
});

describe('once, uuid, boolean-from-string', () => {
  it.each([
    ["boolean-from-string('true')", true],
    ["boolean-from-string('1')", true],
    ["boolean-from-string('yes')", false],
  ])('%s = %j', (xpath, expected) => {
    expect(run(xpath)).toEqual(expected);
  });

  it('once() computes the first time, then keeps what the calculation holds', () => {
    expect(run("once(concat('KK-', ${n}))")).toBe('KK-7');
    expect(run("once(concat('KK-', ${n}))", { current: 'KK-3' })).toBe('KK-3');
  });

  it('uuid() is a version 4 uuid, the same for the same run and question, another for another; uuid(n) is n characters', () => {
    const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const a = run('uuid()', { seed: 'run-1:q' });
    expect(a).toMatch(v4);
    expect(run('uuid()', { seed: 'run-1:q' })).toBe(a);
    expect(run('uuid()', { seed: 'run-2:q' })).not.toBe(a);
    const two = String(run("concat(uuid(), ' ', uuid())", { seed: 'run-1:q' })).split(' ');
    expect(two[0]).toBe(a);
    expect(two[1]).toMatch(v4);
    expect(two[1]).not.toBe(a);
    expect(run('uuid(12)', { seed: 'run-1:q' })).toMatch(/^[0-9A-Za-z]{12}$/);
  });
});

// The functions the importer translated before (if, coalesce, selected, count-selected, string-length,
// contains, starts-with, concat, today, now, date, round, int, number, string, count, sum, max,
// min): the same hand-worked values through the same path, so the new ones did not change them.
describe('the functions translated before keep their values', () => {
  it.each([
    ['round(2.5)', 3],
    ['round(-2.5)', -2],
    ['int(7.9)', 7],
    ['int(-7.9)', -7],
    ['int(${n} div 2)', 3],
    ["contains('Kataloka', 'talo')", true],
    ["starts-with('Kataloka', 'Kata')", true],
    ["string-length('Ambon')", 5],
    ['string-length(${kosong})', 0],
    ["concat('KK ', ${n}, ${kosong}, '!')", 'KK 7!'],
    ['today()', '2026-11-27'],
    ['now()', '2026-11-27T02:00:00.000Z'],
    ["date('2024-09-17')", '2024-09-17'],
    ["selected(${s}, 'cengkeh')", true],
    ["selected(${s}, 'sagu')", false],
    ['count-selected(${s})', 2],
    ['count-selected(${kosong})', 0],
    ['count(${anggota})', 2],
    ['sum(${umur})', 57],
    ['max(${umur})', 45],
    ['min(${umur})', 12],
    ["if(${n} > 5, 'besar', 'kecil')", 'besar'],
    ["if(${n} > 10, 'besar', 'kecil')", 'kecil'],
    ["coalesce(${kosong}, 'tidak ada')", 'tidak ada'],
    ["coalesce(${s1}, 'tidak ada')", 'pala'],
    ["number('12.5') * 2", 25],
    ["number('dua')", NaN],
    ['string(${n})', '7'],
    ["int('7.9')", 7],
  ])('%s = %j', (xpath, expected) => {
    expect(run(xpath)).toEqual(expected);
  });
});
