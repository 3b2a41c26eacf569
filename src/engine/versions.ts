/**
 * Flow versions. The current version of a flow is flows/<id>.yaml; older versions that runs or
 * submissions may still name are kept as flows/versions/<id>/v<N>.yaml, with their texts in
 * locales/<lang>/<id>@v<N>.json (namespace "<id>@v<N>"). A run finishes on the version it
 * started with; a submission is shown with its own version's labels.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { FlowLoadError, loadFlows, parseFlow } from './loader.js';
import type { Flow } from './types.js';

export const VERSIONS_DIR = 'versions';

export interface FlowVersions {
  /** The current version of every flow (what loadFlows returns): the menu offers these. */
  current: Map<string, Flow>;
  /** Every version of every flow, current included: flowId -> version -> flow. */
  all: Map<string, Map<number, Flow>>;
  /**
   * The flow a run or a submission uses: its own version when it is still on disk, else the
   * current one (the engine then keeps the answers that still fit). Undefined: unknown flow.
   */
  flowForRun(flowId: string, version: number): Flow | undefined;
}

/** The archive file of a version, relative to the flows dir. */
export function archivedFlowFile(id: string, version: number): string {
  return path.join(VERSIONS_DIR, id, `v${version}.yaml`);
}

/** The namespace of an archived version's texts. */
export function archivedNamespace(id: string, version: number): string {
  return `${id}@v${version}`;
}

/** Archived version files under `dir`/versions, as paths relative to `dir`, sorted. */
export async function archivedFlowFiles(dir: string): Promise<string[]> {
  const root = path.join(dir, VERSIONS_DIR);
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const id of (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const files = (await readdir(path.join(root, id))).filter((f) => /^v\d+\.ya?ml$/.test(f));
    files.sort((a, b) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')));
    out.push(...files.map((f) => path.join(VERSIONS_DIR, id, f)));
  }
  return out;
}

/** Loads the current flows and every archived version. Throws FlowLoadError listing every problem. */
export async function loadFlowVersions(dir: string): Promise<FlowVersions> {
  const problems: string[] = [];
  let current = new Map<string, Flow>();
  try {
    current = await loadFlows(dir);
  } catch (err) {
    if (err instanceof FlowLoadError) problems.push(...err.problems);
    else throw err;
  }
  const all = new Map<string, Map<number, Flow>>();
  for (const flow of current.values()) all.set(flow.id, new Map([[flow.version, flow]]));
  for (const file of await archivedFlowFiles(dir)) {
    try {
      const flow = parseFlow(await readFile(path.join(dir, file), 'utf8'), file);
      const versions = all.get(flow.id) ?? new Map<number, Flow>();
      if (versions.has(flow.version)) problems.push(`${file}: (flow): version ${flow.version} is also the current version in ${flow.id}.yaml`);
      versions.set(flow.version, flow);
      all.set(flow.id, versions);
    } catch (err) {
      if (err instanceof FlowLoadError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new FlowLoadError(problems);
  return {
    current,
    all,
    flowForRun: (flowId, version) => all.get(flowId)?.get(version) ?? current.get(flowId),
  };
}
