/**
 * Summarises a V8 CPU profile (node --cpu-prof; `BENCH_CPU_PROF=1 npm run bench:webhook` writes
 * them to bench/.profiles/): self time grouped by package (node_modules/<pkg>, the product's
 * src/<part>, node internals, GC, idle) and the top functions by self time.
 *   npx tsx bench/profile-summary.ts [file.cpuprofile]   (default: the newest in bench/.profiles/)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function newest(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
}

export function groupOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  // Compiled runs (bench/.scratch/dist/src/...) are grouped as the source they came from.
  const src = /\/(src|bench|test)\/([^/.][^/]*)\/(?!.*\/(src|bench|test)\/)/.exec(url) ?? /\/(src|bench|test)\/([^/]+)/.exec(url);
  if (src) return `${src[1]}/${src[2]!.replace(/\.ts$/, '')}`;
  return url;
}

const file = process.argv[2] ?? newest(join(import.meta.dirname, '.profiles'));
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const groups = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const g = groupOf(n.callFrame.url, n.callFrame.functionName);
  groups.set(g, (groups.get(g) ?? 0) + us);
  const fname = `${n.callFrame.functionName || '(anonymous)'} ${g}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  fns.set(fname, (fns.get(fname) ?? 0) + us);
}
const idle = groups.get('(idle)') ?? 0;
const busy = total - idle;
const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
console.log(`${file}\n  ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy time)`);
console.log('  self time by package:');
for (const [g, us] of [...groups].filter(([g]) => g !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 18)) console.log(`    ${pct(us)}  ${g}`);
console.log('  top functions by self time:');
for (const [f, us] of [...fns].filter(([f]) => !f.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`    ${pct(us)}  ${f}`);

// Inclusive time by product file: what each file of src/ costs with everything it calls.
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const fileOf = (url: string): string | null => {
  const m = /\/(src\/.+?)\.[jt]s$/.exec(url);
  return m ? m[1]! : null;
};
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const f = fileOf(byId.get(at)!.callFrame.url);
    if (f) seen.add(f);
  }
  for (const f of seen) inclusive.set(f, (inclusive.get(f) ?? 0) + us);
}
console.log('  inclusive time by product file (with what it calls):');
for (const [f, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`    ${pct(us)}  ${f}`);
