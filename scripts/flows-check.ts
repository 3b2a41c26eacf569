/**
 * flows:check — loads every flow in flows/, validates it, and checks that every i18n key a
 * flow or the engine uses exists in every language (and that no flow key is left unused).
 * Prints one line per problem ("file: question: what is wrong") and exits 1 if there are any.
 *
 *   tsx scripts/flows-check.ts [flowsDir] [localesDir]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINE_NAMESPACE, ENGINE_TRANSLATION_KEYS, FlowLoadError, parseFlow, translationKeyUses, type Flow } from '../src/engine/index.js';
import { flattenKeys } from '../src/i18n.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flowsDir = path.resolve(process.argv[2] ?? path.join(root, 'flows'));
const localesDir = path.resolve(process.argv[3] ?? path.join(root, 'locales'));
const LANGS = ['id', 'en'];

const problems: string[] = [];

function placeholders(text: unknown): string {
  return [...String(text ?? '').matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]).sort().join(',');
}

function readNamespace(lang: string, ns: string): Map<string, unknown> | undefined {
  const file = path.join(localesDir, lang, `${ns}.json`);
  if (!existsSync(file)) return undefined;
  try {
    return flattenKeys(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    problems.push(`locales/${lang}/${ns}.json: (file): not valid JSON: ${(err as Error).message}`);
    return new Map();
  }
}

// 1. Flows: shape, expressions, ids.
const flows: Flow[] = [];
// Archived versions (flows/versions/<id>/v<N>.yaml, texts in <id>@v<N>.json) are checked too.
const versionsDir = path.join(flowsDir, 'versions');
const archived = existsSync(versionsDir)
  ? readdirSync(versionsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => readdirSync(path.join(versionsDir, d.name)).filter((f) => /^v\d+\.ya?ml$/.test(f)).map((f) => path.join('versions', d.name, f)))
      .sort()
  : [];
const files = [...readdirSync(flowsDir).filter((f) => /\.ya?ml$/.test(f)).sort(), ...archived];
const seenIds = new Map<string, string>();
for (const file of files) {
  try {
    const flow = parseFlow(readFileSync(path.join(flowsDir, file), 'utf8'), file);
    if (archived.includes(file)) {
      flows.push(flow);
      continue;
    }
    if (seenIds.has(flow.id)) problems.push(`${file}: (flow): id "${flow.id}" is also used by ${seenIds.get(flow.id)}`);
    seenIds.set(flow.id, file);
    flows.push(flow);
  } catch (err) {
    if (err instanceof FlowLoadError) problems.push(...err.problems);
    else problems.push(`${file}: (flow): ${(err as Error).message}`);
  }
}

// 2. Every key used exists in every language as a non-empty string; every flow key is used.
for (const flow of flows) {
  const uses = translationKeyUses(flow);
  for (const lang of LANGS) {
    const entries = readNamespace(lang, flow.namespace);
    if (!entries) {
      problems.push(`${flow.fileName}: (flow): missing locales/${lang}/${flow.namespace}.json`);
      continue;
    }
    for (const use of uses) {
      const key = use.key.slice(flow.namespace.length + 1);
      const value = entries.get(key);
      if (typeof value !== 'string' || value.trim() === '') {
        problems.push(`${flow.fileName}: ${use.question}: ${use.role} key "${key}" missing in locales/${lang}/${flow.namespace}.json`);
      }
    }
    // Both languages must offer the same {{placeholders}}, or one of them shows a raw "{{x}}".
    if (lang !== LANGS[0]) {
      const first = readNamespace(LANGS[0]!, flow.namespace);
      for (const use of uses) {
        const key = use.key.slice(flow.namespace.length + 1);
        const a = placeholders(first?.get(key));
        const b = placeholders(entries.get(key));
        if (first?.has(key) && entries.has(key) && a !== b) {
          problems.push(`${flow.fileName}: ${use.question}: ${use.role} key "${key}" has placeholders {${a}} in ${LANGS[0]} but {${b}} in ${lang}`);
        }
      }
    }
    const used = new Set(uses.map((u) => u.key.slice(flow.namespace.length + 1)));
    for (const key of entries.keys()) {
      if (!used.has(key)) problems.push(`${flow.fileName}: (flow): key "${key}" in locales/${lang}/${flow.namespace}.json is not used by the flow`);
    }
  }
}

// 3. Engine texts.
const engineKeys = ENGINE_TRANSLATION_KEYS.map((k) => k.slice(ENGINE_NAMESPACE.length + 1));
for (const lang of LANGS) {
  const entries = readNamespace(lang, ENGINE_NAMESPACE);
  const where = `locales/${lang}/${ENGINE_NAMESPACE}.json`;
  if (!entries) {
    problems.push(`${where}: (engine): file missing`);
    continue;
  }
  for (const key of engineKeys) {
    const value = entries.get(key);
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${where}: (engine): key "${key}" missing`);
  }
  for (const key of entries.keys()) {
    if (!engineKeys.includes(key)) problems.push(`${where}: (engine): key "${key}" is not used by the engine`);
  }
}

for (const p of problems) console.log(p);
if (problems.length > 0) {
  console.log(`flows:check: ${problems.length} problem(s) in ${files.length} flow file(s)`);
  process.exit(1);
}
// One name per flow counted: the current flows, then the archived versions, then the engine's texts.
const current = flows.filter((f) => !archived.includes(f.fileName)).map((f) => f.namespace);
const older = flows.filter((f) => archived.includes(f.fileName)).map((f) => f.namespace);
const versionsLine = older.length > 0 ? `, ${older.length} archived version(s) OK (${older.join(', ')})` : '';
console.log(`flows:check: ${current.length} flow(s) OK (${current.join(', ')})${versionsLine}; engine texts OK`);
