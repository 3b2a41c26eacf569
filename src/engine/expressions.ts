/**
 * Flow expressions (relevant, constraint, filter, endIf) with jexl: an AST interpreter, no eval.
 * Parsed and checked at load so a typo is a load error, not a surprise in a village.
 */
import jexl from 'jexl';
import { parseYesNo } from './text.js';
import { xlsformFunctions, type XlsFormScope } from './xlsform-functions.js';

type Expression = ReturnType<typeof jexl.compile>;

export interface CompiledExpr {
  source: string;
  expr: Expression;
}

/** What an expression may see. */
export interface ExprVars {
  answers: Record<string, unknown>;
  /** The current repeat-group item (inside a group only). */
  group?: Record<string, unknown>;
  /** The answer being checked (constraint, endIf). */
  value?: unknown;
  /** The choice being filtered (filter). */
  item?: Record<string, unknown>;
  /** Inside a repeat group: the number of the item (1 for the first), for position(..). Not a name expressions read. */
  position?: number;
}

export interface ExprScope extends XlsFormScope {
  checkRoleCode?: (role: string, code: string) => string | null;
}

const J = new jexl.Jexl();

// Set only while an expression runs (evaluation is synchronous), so functions can reach the
// per-call context without the engine holding global state between calls.
let scope: ExprScope = {};

const TRANSFORMS: Record<string, (value: unknown, ...args: unknown[]) => unknown> = {
  /** Length of a list or text; 0 when missing. */
  length: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : 0),
  /** The `field` of every object in a list: answers.sources|pluck('source'). */
  pluck: (v, field) => (Array.isArray(v) ? v.map((x) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[String(field)] : undefined)) : []),
  /** True when a list (or text) contains x; false when missing. */
  includes: (v, x) => (Array.isArray(v) ? v.includes(x) : typeof v === 'string' ? v.includes(String(x)) : false),
  lower: (v) => (typeof v === 'string' ? v.toLowerCase() : v),
  /** A person's name: has a letter and is not a yes/no word ("🙂", "tidak" are not names). */
  isName: (v) => typeof v === 'string' && /\p{L}/u.test(v) && parseYesNo(v) === undefined,
};
const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  /** Asks the service which code grants the role: checkRoleCode(answers.role, value) -> the code's id, or null. */
  checkRoleCode: (role, code) => scope.checkRoleCode?.(String(role ?? ''), String(code ?? '')) ?? null,
  // selected(), regex(), today()... of flows imported from XLSForm.
  ...xlsformFunctions(() => scope),
};
J.addTransforms(TRANSFORMS);
J.addFunctions(FUNCTIONS);

export const EXPRESSION_TRANSFORMS = Object.keys(TRANSFORMS);
export const EXPRESSION_FUNCTIONS = Object.keys(FUNCTIONS);

/** What the checker knows about the place an expression sits in. */
export interface ExprRules {
  /** Root names allowed: answers, group, value, item. */
  roots: string[];
  /** Ids `answers.<id>` may name (questions before this one, and itself for constraint/endIf). */
  answerIds: Set<string>;
  /** Ids `group.<id>` may name (earlier children of the same group). */
  groupIds?: Set<string>;
}

/** Compiles and checks an expression. Returns the problems found (empty when fine). */
export function compileExpression(source: string, rules: ExprRules): { compiled?: CompiledExpr; problems: string[] } {
  let expr: Expression;
  try {
    expr = J.compile(source);
  } catch (err) {
    return { problems: [`cannot parse "${source}": ${(err as Error).message}`] };
  }
  const problems: string[] = [];
  const checkRef = (root: string, id: string): void => {
    if (root === 'answers' && !rules.answerIds.has(id)) {
      problems.push(`"${source}": answers.${id} is not an earlier question`);
    }
    if (root === 'group' && !(rules.groupIds?.has(id) ?? false)) {
      problems.push(`"${source}": group.${id} is not an earlier question of this group`);
    }
  };
  walk(expr._getAst(), (node) => {
    // answers['label-test']: a name that is no identifier.
    if (node.type === 'FilterExpression' && !node.relative) {
      const subject = node.subject as AstNode;
      const inner = node.expr as AstNode;
      if (subject.type === 'Identifier' && !subject.from && inner.type === 'Literal' && typeof inner.value === 'string') checkRef(String(subject.value), inner.value);
    }
    if (node.type === 'Identifier' && !node.relative) {
      const from = node.from as AstNode | undefined;
      if (!from) {
        if (!rules.roots.includes(String(node.value))) {
          problems.push(`"${source}": unknown name "${String(node.value)}" (use ${rules.roots.join(', ')})`);
        }
      } else if (from.type === 'Identifier' && !from.from && !from.relative) {
        checkRef(String(from.value), String(node.value));
      }
    }
    if (node.type === 'FunctionCall') {
      const name = String(node.name);
      const known = node.pool === 'functions' ? EXPRESSION_FUNCTIONS : EXPRESSION_TRANSFORMS;
      if (!known.includes(name)) problems.push(`"${source}": unknown ${node.pool === 'functions' ? 'function' : 'transform'} "${name}"`);
    }
  });
  return problems.length > 0 ? { problems } : { compiled: { source, expr }, problems };
}

interface AstNode {
  type: string;
  [key: string]: unknown;
}

function walk(node: unknown, visit: (n: AstNode) => void): void {
  if (Array.isArray(node)) {
    node.forEach((n) => walk(n, visit));
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as AstNode;
  if (typeof n.type === 'string') visit(n);
  for (const value of Object.values(n)) {
    if (value && typeof value === 'object') walk(value, visit);
  }
}

/** A scope with a few more things known (the prototype keeps the rest, read only when asked). */
export function withScope(base: ExprScope, more: Partial<ExprScope>): ExprScope {
  return Object.assign(Object.create(base) as ExprScope, more);
}

/** Evaluates; a runtime error (e.g. a missing value) yields `fallback` rather than stopping a conversation. */
export function evaluate(e: CompiledExpr, vars: ExprVars, exprScope: ExprScope, fallback: unknown): unknown {
  const saved = scope;
  scope = vars.position === undefined ? exprScope : withScope(exprScope, { position: vars.position });
  try {
    return e.expr.evalSync(vars as unknown as Record<string, unknown>);
  } catch {
    return fallback;
  } finally {
    scope = saved;
  }
}

export function evaluateBool(e: CompiledExpr, vars: ExprVars, exprScope: ExprScope, fallback: boolean): boolean {
  return Boolean(evaluate(e, vars, exprScope, fallback));
}
