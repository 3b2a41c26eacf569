/**
 * Writing an imported flow into flows/ and locales/, keeping versions: when flows/<id>.yaml
 * exists and the new import differs (questions, settings or any text), the old file becomes
 * flows/versions/<id>/v<N>.yaml with its texts copied to locales/<lang>/<id>@v<N>.json, and the
 * new one is written as version N+1. An identical import changes nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, parseDocument, stringify } from 'yaml';
import { archivedFlowFile, archivedFlowFiles, archivedNamespace } from '../engine/versions.js';
import { LANGS, type FlowDoc, type ImportResult, type Texts } from './import.js';

export interface Dirs {
  flowsDir: string;
  localesDir: string;
}

export interface WriteResult {
  id: string;
  version: number;
  status: 'new' | 'updated' | 'unchanged';
  /** Files written (absolute). */
  files: string[];
  /** The archived previous version, when there was a change. */
  archived?: number;
}

const HEADER = (id: string): string =>
  `# Imported from an XLSForm: re-import the form (npm run flows:import) rather than editing here,\n# or export it (npm run flows:export -- ${id}) to edit it in Excel or KoBo.\n`;

function withoutVersion(doc: Record<string, unknown>): Record<string, unknown> {
  const { version: _v, namespace: _n, ...rest } = doc;
  return rest;
}

async function readJson(file: string): Promise<unknown> {
  return existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) : undefined;
}

/** Reads the current flow and its texts, as the importer would produce them (for comparison and export). */
export async function readFlowFiles(id: string, dirs: Dirs, version?: number): Promise<{ flow: FlowDoc; texts: Texts } | undefined> {
  const file = version === undefined ? path.join(dirs.flowsDir, `${id}.yaml`) : path.join(dirs.flowsDir, archivedFlowFile(id, version));
  if (!existsSync(file)) return undefined;
  const flow = parse(await readFile(file, 'utf8')) as FlowDoc;
  const ns = typeof flow.namespace === 'string' ? flow.namespace : id;
  const texts = {} as Texts;
  for (const lang of LANGS) texts[lang] = ((await readJson(path.join(dirs.localesDir, lang, `${ns}.json`))) ?? {}) as Record<string, unknown>;
  return { flow, texts };
}

export async function writeImportedFlow(result: ImportResult, dirs: Dirs): Promise<WriteResult> {
  const { id } = result;
  const currentFile = path.join(dirs.flowsDir, `${id}.yaml`);
  const existing = await readFlowFiles(id, dirs);
  const archived = (await archivedFlowFiles(dirs.flowsDir))
    .filter((f) => path.dirname(f) === path.join('versions', id))
    .map((f) => Number(/v(\d+)\.ya?ml$/.exec(f)![1]));
  const files: string[] = [];

  if (existing) {
    const same = isDeepStrictEqual(withoutVersion(existing.flow), withoutVersion(result.flow)) && isDeepStrictEqual(existing.texts, result.texts);
    if (same) return { id, version: existing.flow.version, status: 'unchanged', files };
  }
  let archivedVersion: number | undefined;
  if (existing) {
    // The old version keeps its questions and texts under its own namespace.
    const old = existing.flow.version;
    archivedVersion = old;
    const doc = parseDocument(await readFile(currentFile, 'utf8'));
    doc.set('namespace', archivedNamespace(id, old));
    const target = path.join(dirs.flowsDir, archivedFlowFile(id, old));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, doc.toString());
    files.push(target);
    for (const lang of LANGS) {
      const t = path.join(dirs.localesDir, lang, `${archivedNamespace(id, old)}.json`);
      await writeFile(t, `${JSON.stringify(existing.texts[lang], null, 2)}\n`);
      files.push(t);
    }
  }
  const version = Math.max(0, existing?.flow.version ?? 0, ...archived) + 1;
  const flow: FlowDoc = { ...result.flow, version };
  await mkdir(dirs.flowsDir, { recursive: true });
  await writeFile(currentFile, HEADER(id) + stringify(flow));
  files.push(currentFile);
  for (const lang of LANGS) {
    const t = path.join(dirs.localesDir, lang, `${id}.json`);
    await mkdir(path.dirname(t), { recursive: true });
    await writeFile(t, `${JSON.stringify(result.texts[lang], null, 2)}\n`);
    files.push(t);
  }
  return { id, version, status: existing ? 'updated' : 'new', files, ...(archivedVersion !== undefined ? { archived: archivedVersion } : {}) };
}
