/**
 * Unfinished conversations: one reminder a day before a run expires, then expiry. An
 * expired run keeps its answers (status 'expired') as a draft for facilitators.
 * Safe to run on several instances at once: each reminder is claimed atomically.
 */
import type { i18n as I18n } from 'i18next';
import { MemberModel, RunModel } from '../db/models.js';
import type { Flow } from '../engine/index.js';
import { translatorFor } from '../i18n.js';
import type { ChannelName, ChannelSender } from '../chat/types.js';
import type { Logger } from '../logging/logger.js';

export interface RunSweepDeps {
  senders: Map<ChannelName, ChannelSender>;
  i18n: I18n;
  flows: Map<string, Flow>;
  timeZone: string;
  logger: Logger;
  /** How long before expiry the reminder goes out. */
  remindBeforeHours?: number;
}

export async function sweepRuns(now: Date, deps: RunSweepDeps): Promise<{ reminded: number; expired: number }> {
  const expired = await RunModel.updateMany(
    { status: 'active', expiresAt: { $lte: now } },
    { $set: { status: 'expired' }, $inc: { rev: 1 } },
  );

  const remindFrom = new Date(now.getTime() + (deps.remindBeforeHours ?? 24) * 3600_000);
  const due = await RunModel.find({ status: 'active', reminderSentAt: null, expiresAt: { $gt: now, $lte: remindFrom } }, { _id: 1 }).lean();
  let reminded = 0;
  for (const { _id } of due) {
    // Claim: only one instance sends a given reminder.
    const run = await RunModel.findOneAndUpdate({ _id, reminderSentAt: null, status: 'active' }, { $set: { reminderSentAt: now } }, { new: true });
    if (!run) continue;
    const member = await MemberModel.findById(run.memberId).lean();
    const sender = member ? deps.senders.get(member.channel as ChannelName) : undefined;
    if (!member || !sender || member.optedOut || member.blocked) continue;
    const t = translatorFor(deps.i18n, member.language ?? 'id');
    const flow = deps.flows.get(run.flowId);
    const when = new Intl.DateTimeFormat(member.language === 'en' ? 'en-GB' : 'id-ID', {
      timeZone: deps.timeZone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
    }).format(run.expiresAt);
    const outcome = await sender.send(
      { channel: member.channel as ChannelName, platformUserId: member.platformUserId },
      [{ text: t('bot:run.reminder', { flow: flow ? t(`${flow.namespace}:${flow.title}`) : run.flowId, when }), language: member.language ?? 'id' }],
    );
    if (outcome.ok) reminded++;
    else {
      if (outcome.blocked) await MemberModel.updateOne({ _id: member._id }, { $set: { blocked: true } });
      deps.logger.warn({ runId: String(run._id), error: outcome.error }, 'Run reminder not delivered');
    }
  }
  return { reminded, expired: expired.modifiedCount };
}
