/**
 * Where people drop out of a flow: for the runs started in a period (in the caller's villages,
 * optionally one village and one channel), how many started, reached each question, finished,
 * and where the unfinished ones stopped, as counts and percent of those started; the same by
 * village and by channel. Data: src/db/repositories/funnel.ts.
 */
import { funnelRuns, type FunnelRun } from '../db/repositories/funnel.js';
import type { Flow, Question } from '../engine/index.js';
import { flowTranslator, type Lang } from '../reports/labels.js';
import { canSeeVillage, type Actor } from './access.js';
import { notFound } from './errors.js';
import { dateRange, villageNames, type Ctx } from './service.js';

export interface FunnelQuery { from?: string | undefined; to?: string | undefined; village?: string | undefined; channel?: string | undefined; lang?: Lang | undefined }

interface Count { count: number; percent: number }
export interface FunnelView {
  flowId: string;
  started: number;
  finished: Count;
  /** Still answering now (not yet stopped for good). */
  running: Count;
  questions: ({ id: string; label: string } & Count)[];
  /** Unfinished runs (cancelled, expired, running) by the question they are at; percent of those started. */
  stoppedAt: ({ id: string; label: string } & Count)[];
  byVillage: { code: string | null; name: string | null; started: number; finished: Count }[];
  byChannel: { channel: string; started: number; finished: Count }[];
}

const pct = (n: number, of: number) => (of ? Math.round((n / of) * 1000) / 10 : 0);
const count = (n: number, of: number): Count => ({ count: n, percent: pct(n, of) });

/** The flow's question ids in order, group members in place. */
function questionOrder(questions: Question[]): Question[] {
  return questions.flatMap((q) => (q.type === 'group' ? [q, ...questionOrder((q as { questions: Question[] }).questions)] : [q]));
}

function groupBy<K>(runs: FunnelRun[], key: (r: FunnelRun) => K): Map<K, FunnelRun[]> {
  const out = new Map<K, FunnelRun[]>();
  for (const r of runs) out.set(key(r), [...(out.get(key(r)) ?? []), r]);
  return out;
}

export async function flowFunnel(ctx: Ctx, actor: Actor, flowId: string, q: FunnelQuery): Promise<FunnelView> {
  const flow: Flow | undefined = ctx.flows.get(flowId);
  if (!flow) throw notFound('flow');
  if (q.village && !canSeeVillage(actor, q.village)) throw notFound('village');
  const when = dateRange(q.from, q.to, ctx.timeZone);
  const all = await funnelRuns({ flowId, from: when?.$gte, to: when?.$lt });
  const runs = all.filter((r) => canSeeVillage(actor, r.villageCode) && (!q.village || r.villageCode === q.village) && (!q.channel || r.channel === q.channel));
  const t = flowTranslator(ctx.i18n, flow, q.lang ?? actor.language);
  const started = runs.length;
  const ordered = questionOrder(flow.questions).filter((x) => x.type !== 'note' && x.type !== 'group');
  const known = new Set(ordered.map((x) => x.id));
  const extra = [...new Set(runs.flatMap((r) => r.reached).filter((id) => !known.has(id)))];
  const label = (id: string) => {
    const question = ordered.find((x) => x.id === id) as { label?: string } | undefined;
    return question?.label ? t(question.label) : id;
  };
  const questions = [...ordered.map((x) => x.id), ...extra].map((id) => ({ id, label: label(id), ...count(runs.filter((r) => r.reached.includes(id)).length, started) }));
  const unfinished = runs.filter((r) => r.outcome !== 'finished');
  const stopped = [...groupBy(unfinished, (r) => r.stoppedAt ?? '-')].map(([id, rs]) => ({ id, label: id === '-' ? '-' : label(id), ...count(rs.length, started) }))
    .sort((a, b) => b.count - a.count);
  const finishedOf = (rs: FunnelRun[]) => count(rs.filter((r) => r.outcome === 'finished').length, rs.length);
  const names = await villageNames([...new Set(runs.map((r) => r.villageCode).filter((c): c is string => !!c))]);
  return {
    flowId,
    started,
    finished: finishedOf(runs),
    running: count(runs.filter((r) => r.outcome === 'running').length, started),
    questions,
    stoppedAt: stopped,
    byVillage: [...groupBy(runs, (r) => r.villageCode)].map(([code, rs]) => ({ code, name: code ? (names.get(code)?.name ?? null) : null, started: rs.length, finished: finishedOf(rs) }))
      .sort((a, b) => b.started - a.started),
    byChannel: [...groupBy(runs, (r) => r.channel)].map(([channel, rs]) => ({ channel, started: rs.length, finished: finishedOf(rs) })).sort((a, b) => b.started - a.started),
  };
}
