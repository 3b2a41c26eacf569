/**
 * XLSForm expressions (the XPath subset forms use) <-> the engine's jexl expressions, through a
 * small neutral tree so both directions print canonically (import, export, import is stable).
 *
 *   ${x}            answers.x (top level), group.x (same repeat item), item.x (choice_filter)
 *   .               value (constraint)
 *   = != < <= > >=  == != < <= > >=        and or not()   && || !()
 *   + - * div mod   + - * / %              if(c, a, b)    (c ? a : b)
 *   x = ''          isEmpty(x)             count-selected, string-length -> countSelected, stringLength
 */
import jexl from 'jexl';

export type Root = 'answers' | 'group' | 'value' | 'item';
export type BinOp = 'or' | 'and' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | 'div' | 'mod';

export type Node =
  | { t: 'lit'; v: string | number | boolean }
  | { t: 'ref'; root: Root; name: string }
  | { t: 'bin'; op: BinOp; l: Node; r: Node }
  | { t: 'not'; e: Node }
  /** `name` is the engine's (jexl) function name; `if` is printed as a conditional. */
  | { t: 'call'; name: string; args: Node[] };

export class ExprError extends Error {}

/** XPath function -> engine function, with the number of arguments allowed. */
const FUNCTIONS: Record<string, { name: string; min: number; max: number }> = {
  // math
  sin: { name: 'sin', min: 1, max: 1 },
  cos: { name: 'cos', min: 1, max: 1 },
  tan: { name: 'tan', min: 1, max: 1 },
  asin: { name: 'asin', min: 1, max: 1 },
  acos: { name: 'acos', min: 1, max: 1 },
  atan: { name: 'atan', min: 1, max: 1 },
  atan2: { name: 'atan2', min: 2, max: 2 },
  sqrt: { name: 'sqrt', min: 1, max: 1 },
  exp: { name: 'exp', min: 1, max: 1 },
  exp10: { name: 'exp10', min: 1, max: 1 },
  log: { name: 'log', min: 1, max: 1 },
  log10: { name: 'log10', min: 1, max: 1 },
  pow: { name: 'pow', min: 2, max: 2 },
  pi: { name: 'pi', min: 0, max: 0 },
  abs: { name: 'abs', min: 1, max: 1 },
  round: { name: 'round', min: 1, max: 2 },
  int: { name: 'int', min: 1, max: 1 },
  number: { name: 'number', min: 1, max: 1 },
  // strings
  string: { name: 'string', min: 1, max: 1 },
  concat: { name: 'concat', min: 1, max: 50 },
  'string-length': { name: 'stringLength', min: 1, max: 1 },
  substr: { name: 'substr', min: 2, max: 3 },
  'substring-before': { name: 'substringBefore', min: 2, max: 2 },
  'substring-after': { name: 'substringAfter', min: 2, max: 2 },
  translate: { name: 'translate', min: 3, max: 3 },
  contains: { name: 'contains', min: 2, max: 2 },
  'starts-with': { name: 'startsWith', min: 2, max: 2 },
  'ends-with': { name: 'endsWith', min: 2, max: 2 },
  'normalize-space': { name: 'normalizeSpace', min: 1, max: 1 },
  join: { name: 'join', min: 2, max: 50 },
  regex: { name: 'regex', min: 2, max: 2 },
  // dates
  today: { name: 'today', min: 0, max: 0 },
  now: { name: 'now', min: 0, max: 0 },
  date: { name: 'date', min: 1, max: 1 },
  'decimal-date-time': { name: 'decimalDateTime', min: 1, max: 1 },
  'decimal-time': { name: 'decimalTime', min: 1, max: 1 },
  'date-time': { name: 'dateTime', min: 1, max: 1 },
  'format-date': { name: 'formatDate', min: 2, max: 2 },
  // choices
  selected: { name: 'selected', min: 2, max: 2 },
  'selected-at': { name: 'selectedAt', min: 2, max: 2 },
  'count-selected': { name: 'countSelected', min: 1, max: 1 },
  'jr:choice-name': { name: 'choiceName', min: 2, max: 2 },
  // repeats
  position: { name: 'position', min: 0, max: 0 },
  'indexed-repeat': { name: 'indexedRepeat', min: 3, max: 3 },
  count: { name: 'count', min: 1, max: 1 },
  'count-non-empty': { name: 'countNonEmpty', min: 1, max: 1 },
  sum: { name: 'sum', min: 1, max: 1 },
  max: { name: 'max', min: 1, max: 50 },
  min: { name: 'min', min: 1, max: 50 },
  // other
  if: { name: 'if', min: 3, max: 3 },
  coalesce: { name: 'coalesce', min: 2, max: 2 },
  once: { name: 'once', min: 1, max: 1 },
  uuid: { name: 'uuid', min: 0, max: 1 },
  'boolean-from-string': { name: 'booleanFromString', min: 1, max: 1 },
  boolean: { name: 'boolean', min: 1, max: 1 },
};
/** Other spellings pyxform accepts for the same functions. */
const ALIASES: Record<string, string> = { 'format-date-time': 'format-date', 'choice-name': 'jr:choice-name' };
const TO_XPATH = Object.fromEntries(Object.entries(FUNCTIONS).map(([x, f]) => [f.name, x])) as Record<string, string>;
/** Engine functions an XLSForm expression may call (the engine registers these). */
export const ENGINE_FUNCTION_NAMES = [...Object.values(FUNCTIONS).map((f) => f.name).filter((n) => n !== 'if'), 'isEmpty', 'column'];

/** Functions a chat cannot offer, and why. */
export const REFUSED_FUNCTIONS: Record<string, string> = {
  pulldata: 'reads a CSV file attached to the form on the phone; a chat has no such file',
  instance: 'reads a secondary instance (an attached or external list); only choices in the form are supported',
  random: 'random values cannot be reproduced when a chat answer is checked again',
  digest: 'cryptographic digests are not supported in chat',
  area: 'geoshape measurement needs a geoshape question, which a chat cannot ask',
  distance: 'geotrace measurement needs a geotrace question, which a chat cannot ask',
  'jr:itext': 'translations are looked up by the chat, not by the form',
};

// ---------------------------------------------------------------------------------------------
// XPath -> tree

type Tok =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'ref'; v: string }
  | { k: 'dot' }
  | { k: 'parent' }
  /** "/", "[", "]" or "|": XPath a chat does not follow, refused when the parser reaches it. */
  | { k: 'path'; v: string }
  | { k: 'op'; v: string }
  | { k: 'name'; v: string }
  | { k: '(' }
  | { k: ')' }
  | { k: ',' };

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '$' && src[i + 1] === '{') {
      const end = src.indexOf('}', i);
      if (end < 0) throw new ExprError('"${" without a closing "}"');
      const name = src.slice(i + 2, end).trim();
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new ExprError(`"\${${name}}" is not a question name`);
      toks.push({ k: 'ref', v: name });
      i = end + 1;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new ExprError(`text starting at ${c}${src.slice(i + 1, i + 11)} is not closed`);
      toks.push({ k: 'str', v: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const num = /^\d+(\.\d+)?|^\.\d+/.exec(src.slice(i));
    if (num) {
      toks.push({ k: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    if (c === '.' && src[i + 1] === '.') {
      // Only in position(..): the number of the repeat item.
      toks.push({ k: 'parent' });
      i += 2;
      continue;
    }
    if (c === '.') {
      toks.push({ k: 'dot' });
      i += 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=') {
      toks.push({ k: 'op', v: two });
      i += 2;
      continue;
    }
    if ('=<>+-*'.includes(c)) {
      toks.push({ k: 'op', v: c });
      i += 1;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      toks.push({ k: c });
      i += 1;
      continue;
    }
    if (c === '/' || c === '[' || c === ']' || c === '|') {
      toks.push({ k: 'path', v: c === '/' && (toks.at(-1)?.k === 'parent' || toks.at(-1)?.k === 'dot') ? '../' : c });
      i += 1;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_:-]*/.exec(src.slice(i));
    if (word) {
      // "x-1" after a name: XPath reads it as one name; forms nearly always mean a name.
      toks.push({ k: 'name', v: word[0] });
      i += word[0].length;
      continue;
    }
    throw new ExprError(`unexpected "${c}"`);
  }
  return toks;
}

export interface XPathContext {
  /** Resolves ${name} to where the engine keeps it, or throws ExprError. */
  ref: (name: string) => Node;
  /** What "." means here (constraint: the answer); undefined: "." is refused. */
  dot?: Node;
  /** choice_filter: bare names are columns of the choice (`name` is its id). */
  bareNames?: (name: string) => Node;
}

const PREC: Record<BinOp, number> = { or: 1, and: 2, '=': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4, '+': 5, '-': 5, '*': 6, div: 6, mod: 6 };

export function parseXPath(src: string, ctx: XPathContext): Node {
  const toks = tokenize(src);
  if (toks.length === 0) throw new ExprError('empty expression');
  let pos = 0;
  const peek = (): Tok | undefined => toks[pos];
  const binOpAt = (): BinOp | undefined => {
    const t = peek();
    if (!t) return undefined;
    if (t.k === 'op' && t.v in PREC) return t.v as BinOp;
    if (t.k === 'name' && (t.v === 'and' || t.v === 'or' || t.v === 'div' || t.v === 'mod')) return t.v;
    return undefined;
  };

  const parseBinary = (minPrec: number): Node => {
    let left = parseUnary();
    for (;;) {
      const op = binOpAt();
      if (!op || PREC[op] < minPrec) return left;
      pos += 1;
      const right = parseBinary(PREC[op] + 1);
      left = makeBin(op, left, right);
    }
  };
  const parseUnary = (): Node => {
    const t = peek();
    if (t?.k === 'op' && t.v === '-') {
      pos += 1;
      const e = parseUnary();
      if (e.t === 'lit' && typeof e.v === 'number') return { t: 'lit', v: -e.v };
      return { t: 'bin', op: '-', l: { t: 'lit', v: 0 }, r: e };
    }
    return parsePrimary();
  };
  const expect = (k: Tok['k'], what: string): void => {
    if (peek()?.k !== k) throw new ExprError(`expected ${what}${peek() ? '' : ' before the end'}`);
    pos += 1;
  };
  const parsePrimary = (): Node => {
    const t = peek();
    if (!t) throw new ExprError('the expression ends too early');
    pos += 1;
    switch (t.k) {
      case 'num':
        return { t: 'lit', v: t.v };
      case 'str':
        return { t: 'lit', v: t.v };
      case 'ref':
        return ctx.ref(t.v);
      case 'dot':
        if (!ctx.dot) throw new ExprError('"." (this answer) only works in a constraint');
        return ctx.dot;
      case '(': {
        const e = parseBinary(1);
        expect(')', '")"');
        return e;
      }
      case 'name': {
        if ((t.v === 'position' || t.v === 'jr:position') && toks[pos]?.k === '(' && toks[pos + 1]?.k === 'parent' && toks[pos + 2]?.k === ')') {
          pos += 3;
          return { t: 'call', name: 'position', args: [] };
        }
        if (peek()?.k !== '(') {
          if (ctx.bareNames) return ctx.bareNames(t.v);
          throw new ExprError(`"${t.v}" is not understood: write question names as \${${t.v}}`);
        }
        pos += 1;
        const args: Node[] = [];
        if (peek()?.k !== ')') {
          for (;;) {
            args.push(parseBinary(1));
            if (peek()?.k === ',') {
              pos += 1;
              continue;
            }
            break;
          }
        }
        expect(')', `")" after the arguments of ${t.v}()`);
        return makeCall(t.v, args);
      }
      case 'parent':
        throw new UnsupportedSyntax('relative paths ("..") are not supported in chat: use ${name} (position(..) is)');
      case 'path':
        throw pathError(t.v);
      default:
        throw new ExprError(`unexpected "${t.k === 'op' ? t.v : t.k}"`);
    }
  };

  const node = parseBinary(1);
  if (pos < toks.length) {
    const t = toks[pos]!;
    if (t.k === 'path') throw pathError(t.v);
    throw new ExprError(`unexpected ${t.k === 'name' || t.k === 'op' ? `"${t.v}"` : t.k === 'ref' ? `\${${t.v}}` : `"${t.k}"`} (an operator missing?)`);
  }
  return node;
}

function makeBin(op: BinOp, l: Node, r: Node): Node {
  // "x = ''" asks whether x is unanswered: the engine stores no answer, not an empty text.
  const empty = (n: Node): boolean => n.t === 'lit' && n.v === '';
  if ((op === '=' || op === '!=') && (empty(r) || empty(l))) {
    const x = empty(r) ? l : r;
    const test: Node = { t: 'call', name: 'isEmpty', args: [x] };
    return op === '=' ? test : { t: 'not', e: test };
  }
  return { t: 'bin', op, l, r };
}

function makeCall(called: string, args: Node[]): Node {
  const xname = (Object.hasOwn(ALIASES, called) ? ALIASES[called] : undefined) ?? called;
  if (xname === 'not') {
    if (args.length !== 1) throw new ExprError('not() takes one argument');
    return { t: 'not', e: args[0]! };
  }
  if ((xname === 'true' || xname === 'false') && args.length === 0) return { t: 'lit', v: xname === 'true' };
  // Own keys only: a function called "constructor()" or "toString()" is unknown, not Object's.
  const refused = Object.hasOwn(REFUSED_FUNCTIONS, xname) ? REFUSED_FUNCTIONS[xname] : undefined;
  if (refused) throw new UnsupportedFunction(xname, refused);
  const f = Object.hasOwn(FUNCTIONS, xname) ? FUNCTIONS[xname] : undefined;
  if (!f) throw new UnsupportedFunction(xname, 'this function is not available in chat flows');
  if (args.length < f.min || args.length > f.max) {
    if (xname === 'indexed-repeat' && args.length > f.max) throw new UnsupportedFunction(xname, 'repeats inside repeats are not supported in chat');
    throw new ExprError(`${xname}() takes ${f.min === f.max ? f.min : `${f.min} to ${f.max}`} argument(s), not ${args.length}`);
  }
  if (xname === 'indexed-repeat') return indexedRepeat(args);
  if (xname === 'jr:choice-name') {
    // jr:choice-name(${x}, '${x}'): the question is named in a text.
    const named = args[1]!.t === 'lit' ? /^\s*\$\{\s*([^}\s]+)\s*\}\s*$/.exec(String(args[1]!.v)) : null;
    if (!named) throw new ExprError("jr:choice-name() takes the answer and the question's name in quotes: jr:choice-name(${x}, '${x}')");
    return { t: 'call', name: f.name, args: [args[0]!, { t: 'lit', v: named[1]! }] };
  }
  return { t: 'call', name: f.name, args };
}

/** indexed-repeat(${x}, ${group}, n) -> indexedRepeat(answers.group, 'x', n). */
function indexedRepeat(args: Node[]): Node {
  const [value, group, n] = args as [Node, Node, Node];
  const field = value.t === 'ref' && value.root === 'group' ? value.name : value.t === 'call' && value.name === 'column' && value.args[1]?.t === 'lit' ? String(value.args[1].v) : undefined;
  if (!field || group.t !== 'ref' || group.root !== 'answers') throw new ExprError('indexed-repeat() takes a question of a repeat, that repeat, and an item number');
  return { t: 'call', name: 'indexedRepeat', args: [group, { t: 'lit', v: field }, n] };
}

/** XPath a chat cannot follow (paths, predicates): refused, and with --skip-unsupported left out. */
export class UnsupportedSyntax extends ExprError {}

function pathError(c: string): UnsupportedSyntax {
  if (c === '../') return new UnsupportedSyntax('relative paths ("../x") are not supported in chat: use ${name}');
  if (c === '|') return new UnsupportedSyntax('node-set unions ("|") are not supported in chat');
  if (c === '[' || c === ']') return new UnsupportedSyntax('predicates ("[...]") are not supported in chat');
  return new UnsupportedSyntax('absolute paths ("/data/...") are not supported in chat: use ${name}');
}

/** A function the chat cannot run: refused with its name and why. */
export class UnsupportedFunction extends ExprError {
  constructor(
    readonly fn: string,
    readonly why: string,
  ) {
    super(`${fn}() is not supported: ${why}`);
  }
}

// ---------------------------------------------------------------------------------------------
// tree -> jexl

const JEXL_OP: Record<BinOp, string> = { or: '||', and: '&&', '=': '==', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=', '+': '+', '-': '-', '*': '*', div: '/', mod: '%' };
/** jexl's own precedences: note that && and || are equal (left to right). */
const JEXL_PREC: Record<BinOp, number> = { or: 10, and: 10, '=': 20, '!=': 20, '<': 20, '<=': 20, '>': 20, '>=': 20, '+': 30, '-': 30, '*': 40, div: 40, mod: 50 };

function jexlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function toJexl(n: Node): string {
  return n.t === 'lit' && typeof n.v === 'number' ? String(n.v) : printJexl(n, true);
}

function printJexl(n: Node, top = false): string {
  switch (n.t) {
    case 'lit':
      if (typeof n.v === 'string') return jexlString(n.v);
      // jexl reads "-2" after a comma as a minus: f(1, (-2)).
      return typeof n.v === 'number' && (n.v < 0 || Object.is(n.v, -0)) ? `(${n.v})` : String(n.v);
    case 'ref':
      if (n.root === 'value') return 'value';
      // A name that is no jexl identifier (XLSForm allows "label-test"): answers['label-test'].
      return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(n.name) ? `${n.root}.${n.name}` : `${n.root}[${jexlString(n.name)}]`;
    case 'not': {
      const inner = printJexl(n.e);
      return n.e.t === 'bin' ? `!(${inner})` : `!${inner}`;
    }
    case 'call': {
      if (n.name === 'if') {
        const [c, a, b] = n.args.map((x) => printJexl(x, true));
        const s = `(${c}) ? ${a} : ${b}`;
        return top ? s : `(${s})`;
      }
      return `${n.name}(${n.args.map((a) => printJexl(a, true)).join(', ')})`;
    }
    case 'bin': {
      const p = JEXL_PREC[n.op];
      const side = (c: Node, right: boolean): string => {
        const s = printJexl(c);
        if (c.t !== 'bin') return s;
        const cp = JEXL_PREC[c.op];
        // && and || share a precedence in jexl: a mix is always bracketed, for the reader too.
        const mixed = (c.op === 'and' || c.op === 'or') && (n.op === 'and' || n.op === 'or') && c.op !== n.op;
        return cp < p || (right && cp === p) || mixed ? `(${s})` : s;
      };
      return `${side(n.l, false)} ${JEXL_OP[n.op]} ${side(n.r, true)}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// jexl -> tree -> XPath (export)

const FROM_JEXL_OP = Object.fromEntries(Object.entries(JEXL_OP).map(([k, v]) => [v, k])) as Record<string, BinOp>;
const J = new jexl.Jexl();

interface JexlAst {
  type: string;
  [k: string]: unknown;
}

/** Reads an engine expression back into the neutral tree; throws ExprError for what XLSForm cannot say. */
export function fromJexl(source: string): Node {
  let ast: JexlAst;
  try {
    ast = J.compile(source)._getAst() as JexlAst;
  } catch (err) {
    throw new ExprError(`cannot parse "${source}": ${(err as Error).message}`);
  }
  const conv = (a: JexlAst): Node => {
    switch (a.type) {
      case 'Literal':
        return { t: 'lit', v: a.value as string | number | boolean };
      case 'Identifier': {
        const from = a.from as JexlAst | undefined;
        if (!from && a.value === 'value') return { t: 'ref', root: 'value', name: '' };
        if (from?.type === 'Identifier' && !from.from && ['answers', 'group', 'item'].includes(String(from.value))) {
          return { t: 'ref', root: from.value as Root, name: String(a.value) };
        }
        throw new ExprError(`"${source}": only answers.<id>, group.<id>, item.<field> and value can be written as XLSForm`);
      }
      case 'FilterExpression': {
        // answers['label-test']
        const subject = a.subject as JexlAst;
        const expr = a.expr as JexlAst;
        if (!a.relative && subject.type === 'Identifier' && !subject.from && ['answers', 'group', 'item'].includes(String(subject.value)) && expr.type === 'Literal' && typeof expr.value === 'string') {
          return { t: 'ref', root: subject.value as Root, name: expr.value };
        }
        throw new ExprError(`"${source}": only answers.<id>, group.<id>, item.<field> and value can be written as XLSForm`);
      }
      case 'UnaryExpression':
        return { t: 'not', e: conv(a.right as JexlAst) };
      case 'BinaryExpression': {
        const op = FROM_JEXL_OP[String(a.operator)];
        if (!op) throw new ExprError(`"${source}": operator ${String(a.operator)} has no XLSForm equivalent`);
        return { t: 'bin', op, l: conv(a.left as JexlAst), r: conv(a.right as JexlAst) };
      }
      case 'ConditionalExpression':
        return { t: 'call', name: 'if', args: [conv(a.test as JexlAst), conv(a.consequent as JexlAst), conv(a.alternate as JexlAst)] };
      case 'FunctionCall': {
        const name = String(a.name);
        if (a.pool !== 'functions' || (!(name in TO_XPATH) && name !== 'isEmpty' && name !== 'column')) {
          throw new ExprError(`"${source}": ${a.pool === 'functions' ? 'function' : 'transform'} ${name} has no XLSForm equivalent`);
        }
        return { t: 'call', name, args: (a.args as JexlAst[]).map(conv) };
      }
      default:
        throw new ExprError(`"${source}": ${a.type} has no XLSForm equivalent`);
    }
  };
  return conv(ast);
}

function xpathString(s: string): string {
  return s.includes("'") ? `"${s}"` : `'${s}'`;
}

export function toXPath(n: Node): string {
  switch (n.t) {
    case 'lit':
      return typeof n.v === 'string' ? xpathString(n.v) : typeof n.v === 'boolean' ? `${n.v}()` : String(n.v);
    case 'ref':
      if (n.root === 'value') return '.';
      if (n.root === 'item') return n.name === 'id' ? 'name' : n.name;
      return `\${${n.name}}`;
    case 'not':
      if (n.e.t === 'call' && n.e.name === 'isEmpty') return `${toXPathIn(n.e.args[0]!, PREC['!='], false)} != ''`;
      return `not(${toXPath(n.e)})`;
    case 'call':
      if (n.name === 'isEmpty') return `${toXPathIn(n.args[0]!, PREC['='], false)} = ''`;
      // A repeat child read from outside its group: XLSForm writes the plain reference.
      if (n.name === 'column' && n.args[1]?.t === 'lit') return `\${${String(n.args[1].v)}}`;
      if (n.name === 'position') return 'position(..)';
      if (n.name === 'choiceName' && n.args[1]?.t === 'lit') return `jr:choice-name(${toXPath(n.args[0]!)}, '\${${String(n.args[1].v)}}')`;
      if (n.name === 'indexedRepeat' && n.args[1]?.t === 'lit') return `indexed-repeat(\${${String(n.args[1].v)}}, ${toXPath(n.args[0]!)}, ${toXPath(n.args[2]!)})`;
      return `${n.name === 'if' ? 'if' : TO_XPATH[n.name]}(${n.args.map(toXPath).join(', ')})`;
    case 'bin':
      return `${toXPathIn(n.l, PREC[n.op], false)} ${n.op} ${toXPathIn(n.r, PREC[n.op], true)}`;
  }
}

function toXPathIn(n: Node, parent: number, right: boolean): string {
  const s = toXPath(n);
  let p: number | undefined;
  if (n.t === 'bin') p = PREC[n.op];
  else if (n.t === 'call' && n.name === 'isEmpty') p = PREC['='];
  else if (n.t === 'not' && n.e.t === 'call' && n.e.name === 'isEmpty') p = PREC['!='];
  if (p === undefined) return s;
  return p < parent || (right && p === parent) ? `(${s})` : s;
}

/** The ${name}s an XPath text refers to, in order (for checks before translation). */
export function referencedNames(src: string): string[] {
  return [...src.matchAll(/\$\{\s*([^}\s]+)\s*\}/g)].map((m) => m[1]!);
}
