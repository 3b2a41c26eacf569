/** XPath (XLSForm) -> jexl (engine) and back, for every operator and function the importer supports. */
import { describe, expect, it } from 'vitest';
import { ExprError, fromJexl, parseXPath, toJexl, toXPath, UnsupportedFunction, UnsupportedSyntax, type Node, type XPathContext } from '../../src/xlsform/xpath.js';

const ctx: XPathContext = {
  ref: (name) => (name.startsWith('g_') ? { t: 'ref', root: 'group', name } : { t: 'ref', root: 'answers', name }),
  dot: { t: 'ref', root: 'value', name: '' },
};
const j = (x: string, c: XPathContext = ctx): string => toJexl(parseXPath(x, c));

describe('XPath to jexl', () => {
  it.each([
    ['${umur} >= 18', 'answers.umur >= 18'],
    ['. >= 1 and . <= 20', 'value >= 1 && value <= 20'],
    ["${a} = 'ya' or ${b} != 'tidak'", "answers.a == 'ya' || answers.b != 'tidak'"],
    ["${a} = 'x' or ${b} = 'y' and ${c} = 'z'", "answers.a == 'x' || (answers.b == 'y' && answers.c == 'z')"],
    ["(${a} = 'x' or ${b} = 'y') and ${c} = 'z'", "(answers.a == 'x' || answers.b == 'y') && answers.c == 'z'"],
    ["not(${a} = 'ya')", "!(answers.a == 'ya')"],
    ['${a} + ${b} * 2 - 1', 'answers.a + answers.b * 2 - 1'],
    ['(${a} + ${b}) * 2', '(answers.a + answers.b) * 2'],
    ['${a} div 2 mod 3', '(answers.a / 2) % 3'],
    ['${a} mod 2 * 3', 'answers.a % 2 * 3'],
    ['-${a}', '0 - answers.a'],
    ['-2.5', '-2.5'],
    ["selected(${s}, 'ikan')", "selected(answers.s, 'ikan')"],
    ['count-selected(${s}) >= 2', 'countSelected(answers.s) >= 2'],
    ['string-length(.) > 3', 'stringLength(value) > 3'],
    ['. <= today()', 'value <= today()'],
    ["if(${n} > 5, 'besar', 'kecil')", "(answers.n > 5) ? 'besar' : 'kecil'"],
    ["concat(${a}, ' ', ${b})", "concat(answers.a, ' ', answers.b)"],
    ["coalesce(${a}, 'x')", "coalesce(answers.a, 'x')"],
    ["regex(., '^08[0-9]+$')", "regex(value, '^08[0-9]+$')"],
    ["${a} = ''", 'isEmpty(answers.a)'],
    ["${a} != ''", '!isEmpty(answers.a)'],
    ['true()', 'true'],
    ['${g_umur} < 5', 'group.g_umur < 5'],
    ['"it\'s"', "'it\\'s'"],
    ['round(${a}, -2)', 'round(answers.a, (-2))'],
    ['atan2(-1, ${a})', 'atan2((-1), answers.a)'],
    ["jr:choice-name(${s}, '${s}')", "choiceName(answers.s, 's')"],
    ['position(..)', 'position()'],
    ['indexed-repeat(${g_nama}, ${anggota}, 2)', "indexedRepeat(answers.anggota, 'g_nama', 2)"],
    ["format-date-time(now(), '%H:%M')", "formatDate(now(), '%H:%M')"],
  ])('%s -> %s', (xpath, jexl) => {
    expect(j(xpath)).toBe(jexl);
  });

  it('reads bare names in a choice_filter as columns of the choice', () => {
    const filter: XPathContext = { ...ctx, bareNames: (n) => ({ t: 'ref', root: 'item', name: n === 'name' ? 'id' : n }) };
    expect(j('kecamatan=${kec}', filter)).toBe('item.kecamatan == answers.kec');
    expect(j("name != 'lainnya'", filter)).toBe("item.id != 'lainnya'");
  });

  it('refuses what it cannot translate, naming the function and why', () => {
    expect(() => j("pulldata('harga', 'harga', 'kode', ${k})")).toThrow(UnsupportedFunction);
    expect(() => j("pulldata('harga', 'harga', 'kode', ${k})")).toThrow(/pulldata\(\) is not supported: reads a CSV file/);
    expect(() => j('foo(1)')).toThrow(/foo\(\) is not supported/);
    // Names every object has are unknown functions too, not Object's own (issue 20).
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) expect(() => j(`${name}(1)`)).toThrow(`${name}() is not supported: this function is not available in chat flows`);
    expect(() => j('/data/umur > 5')).toThrow(UnsupportedSyntax);
    expect(() => j('/data/umur > 5')).toThrow(/absolute paths/);
    expect(() => j('../umur > 5')).toThrow(/relative paths/);
    expect(() => j("instance('l')/root/item[name = 'a']")).toThrow(/instance\(\) is not supported/);
    expect(() => j('indexed-repeat(${g_nama}, ${anggota}, 1, ${b}, 2)')).toThrow(/repeats inside repeats are not supported/);
    expect(() => j("jr:choice-name(${s}, 's')")).toThrow(/the question's name in quotes/);
    expect(() => j('${a} >')).toThrow(ExprError);
    expect(() => j('(${a} > 1')).toThrow(/expected "\)"/);
    expect(() => j("'open")).toThrow(/not closed/);
    expect(() => j('umur > 5')).toThrow(/write question names as \$\{umur\}/);
    expect(() => j('. > 5', { ref: ctx.ref })).toThrow(/only works in a constraint/);
    expect(() => j('selected(${a})')).toThrow(/takes 2 argument/);
  });
});

describe('jexl back to XPath (export)', () => {
  it.each([
    '${umur} >= 18',
    '. >= 1 and . <= 20',
    "${a} = 'x' or ${b} = 'y' and ${c} = 'z'",
    "(${a} = 'x' or ${b} = 'y') and ${c} = 'z'",
    "not(${a} = 'ya')",
    '(${a} + ${b}) * 2 - ${c} div 2 mod 3',
    "if(${n} > 5, 'besar', 'kecil')",
    "concat(${a}, ' ', coalesce(${b}, 'x'))",
    "regex(., '^08[0-9]+$') and string-length(.) < 14 and count-selected(${s}) > 0 and selected(${s}, 'a')",
    "${a} = ''",
    "${a} != ''",
    '. <= today()',
    'round(${a}, -2) + pow(${b}, 2) - sqrt(abs(${c}))',
    "substring-before(${a}, '-') = substr(${b}, 0, 4) and ends-with(${c}, normalize-space(' x '))",
    "format-date(date(decimal-date-time(today()) - 7), '%e %b %Y')",
    "jr:choice-name(${s}, '${s}')",
    'indexed-repeat(${g_nama}, ${anggota}, position(..) - 1)',
    "once(concat(uuid(), '-', selected-at(${s}, 0)))",
    "boolean-from-string(${a}) or count-selected(${s}) >= 2",
  ])('%s survives XPath -> jexl -> XPath -> jexl', (xpath) => {
    const once = j(xpath);
    const back = toXPath(fromJexl(once));
    expect(j(back)).toBe(once);
    expect(back).toBe(xpath);
  });

  it('writes a repeat column read from outside as the plain reference', () => {
    const n: Node = { t: 'call', name: 'sum', args: [{ t: 'call', name: 'column', args: [{ t: 'ref', root: 'answers', name: 'anggota' }, { t: 'lit', v: 'umur' }] }] };
    expect(toXPath(fromJexl(toJexl(n)))).toBe('sum(${umur})');
  });

  it('refuses engine expressions XLSForm cannot say', () => {
    expect(() => fromJexl("answers.sources|pluck('source')|includes('x')")).toThrow(/transform includes has no XLSForm equivalent/);
    expect(() => fromJexl('checkRoleCode(answers.role, value)')).toThrow(/function checkRoleCode/);
  });
});
