/** A finished run's answers stored as a submission (once per run: a replayed step changes nothing). */
import type { Types } from 'mongoose';
import type { ActiveRun, MemberState } from '../db/repositories/members.js';
import { storeSubmission } from '../db/repositories/submissions.js';
import { reachedQuestions } from '../engine/funnel.js';
import type { Effect } from '../engine/index.js';
import type { ConversationKit } from './kit.js';
import type { Turn } from './turn.js';

export type Submit = Extract<Effect, { type: 'submit' }>;

export async function storeRunSubmission(kit: ConversationKit, turn: Turn, member: MemberState, run: ActiveRun, submit: Submit): Promise<Types.ObjectId> {
  const villageCode = run.proxy?.villageCode ?? member.villageCode;
  const village = villageCode ? (await kit.villages()).find((v) => v.code === villageCode) : undefined;
  turn.wrote();
  return storeSubmission(
    {
      runId: run.id,
      // For a resident without the bot the submission is theirs (by name), entered by the member.
      memberId: run.proxy ? null : member._id,
      villageCode,
      villageName: village?.name ?? null,
      flowId: submit.flowId,
      flowVersion: submit.flowVersion,
      channel: turn.message.channel,
      language: member.language,
      answers: submit.answers,
      display: submit.display,
      // A finished run reached every question on its path: those answered (a skip is a null answer).
      run: { startedAt: run.startedAt, reached: [...new Set([...reachedQuestions(run.state), ...Object.keys(submit.answers)])] },
      proxy: run.proxy ? { enteredBy: member._id, forName: run.proxy.forName, consentAloud: true, consentAt: run.proxy.consentAt } : null,
    },
    kit.now(),
  );
}
