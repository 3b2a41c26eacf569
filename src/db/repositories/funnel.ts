/**
 * The drop-out funnel's data: every run of a flow started in a period, wherever it lives now.
 *   finished   its submission (runStartedAt, reached: written with it, no extra write)
 *   cancelled  a runends record (written once when it ended: no person, no answers)
 *   expired    its draft (runs collection: the state says where it stopped)
 *   running    the member's run (member.run: the same)
 * The run state already holds the path (history, position), so no answer costs a write.
 *
 * Indexes: submissions { flowId, runStartedAt }; runends { flowId, startedAt }; runs by _id of
 * the member; members by { 'run.flowId' } is not indexed (running runs are few: a scan).
 */
import type { Types } from 'mongoose';
import { reachedQuestions, stoppedAt } from '../../engine/funnel.js';
import type { RunState } from '../../engine/types.js';
import { MemberModel, RunEndModel, RunModel, SubmissionModel } from '../models.js';

export interface RunEndRecord {
  id: Types.ObjectId;
  flowId: string;
  villageCode: string | null;
  channel: string;
  startedAt: Date;
  endedAt: Date;
  outcome: 'cancelled' | 'declined';
  reached: string[];
  stoppedAt: string | null;
}

/** Records runs that ended without a submission (once per run id). */
export async function recordRunEnds(records: RunEndRecord[]): Promise<void> {
  await RunEndModel.bulkWrite(records.map((r) => ({
    updateOne: {
      filter: { _id: r.id },
      update: { $setOnInsert: { flowId: r.flowId, villageCode: r.villageCode, channel: r.channel, startedAt: r.startedAt, endedAt: r.endedAt, outcome: r.outcome, reached: r.reached, stoppedAt: r.stoppedAt } },
      upsert: true,
    },
  })), { ordered: false });
}

export type RunOutcome = 'finished' | 'cancelled' | 'expired' | 'running';

export interface FunnelRun {
  villageCode: string | null;
  channel: string;
  outcome: RunOutcome;
  reached: string[];
  stoppedAt: string | null;
}

export interface FunnelQuery { flowId: string; from?: Date | undefined; to?: Date | undefined }

function range(q: FunnelQuery): Record<string, Date> | null {
  if (!q.from && !q.to) return null;
  return { ...(q.from ? { $gte: q.from } : {}), ...(q.to ? { $lt: q.to } : {}) };
}

/** Every run of the flow started in the period (a submission without a run start counts by its submission time). */
export async function funnelRuns(q: FunnelQuery): Promise<FunnelRun[]> {
  const when = range(q);
  const [subs, ends, drafts, running] = await Promise.all([
    SubmissionModel.find(
      { flowId: q.flowId, ...(when ? { $or: [{ runStartedAt: when }, { runStartedAt: null, submittedAt: when }] } : {}) },
      { villageCode: 1, channel: 1, reached: 1, answers: 1 },
    ).lean(),
    RunEndModel.find({ flowId: q.flowId, ...(when ? { startedAt: when } : {}) }).lean(),
    RunModel.find({ flowId: q.flowId, ...(when ? { startedAt: when } : {}) }, { memberId: 1, 'state.history': 1, 'state.position': 1 }).lean(),
    MemberModel.find({ 'run.flowId': q.flowId, ...(when ? { 'run.startedAt': when } : {}) }, { villageCode: 1, channel: 1, 'run.state.history': 1, 'run.state.position': 1 }).lean(),
  ]);
  const owners = new Map((await MemberModel.find({ _id: { $in: drafts.map((d) => d.memberId) } }, { villageCode: 1, channel: 1 }).lean()).map((m) => [String(m._id), m]));
  const fromState = (state: Pick<RunState, 'history' | 'position'>) => ({ reached: reachedQuestions(state), stoppedAt: stoppedAt(state) });
  return [
    ...subs.map((s) => ({
      villageCode: s.villageCode ?? null, channel: s.channel, outcome: 'finished' as const,
      reached: (s as { reached?: string[] }).reached ?? Object.keys((s.answers as Record<string, unknown>) ?? {}), stoppedAt: null,
    })),
    ...ends.map((e) => ({ villageCode: e.villageCode ?? null, channel: e.channel, outcome: 'cancelled' as const, reached: e.reached, stoppedAt: e.stoppedAt ?? null })),
    ...drafts.map((d) => {
      const owner = owners.get(String(d.memberId));
      return { villageCode: owner?.villageCode ?? null, channel: owner?.channel ?? 'unknown', outcome: 'expired' as const, ...fromState(d.state as RunState) };
    }),
    ...running.map((m) => ({ villageCode: m.villageCode ?? null, channel: m.channel, outcome: 'running' as const, ...fromState((m.run as { state: RunState }).state) })),
  ];
}
