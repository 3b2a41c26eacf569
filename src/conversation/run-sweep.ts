/**
 * Unfinished conversations: one reminder a day before a run expires, then expiry. An
 * expired run keeps its answers as a draft (runs collection) for facilitators.
 * Safe on several instances at once: the reminder's outbox id is deterministic
 * (`runrem:<run id>`), and every member write is guarded by rev.
 */
import { dateFormat } from '../time/index.js';
import type { i18n as I18n } from 'i18next';
import { archiveRun } from './service.js';
import { claimRunReminder, clearRunIfUnchanged, findMembersWithRunExpiredBy, findMembersWithRunToRemind, proactiveRoute } from '../db/repositories/members.js';
import type { Flow } from '../engine/index.js';
import { translatorFor } from '../i18n.js';
import type { Logger } from '../logging/logger.js';
import { enqueue } from '../pipeline/outbox.js';

export interface RunSweepDeps {
  i18n: I18n;
  flows: Map<string, Flow>;
  timeZone: string;
  logger: Logger;
  /** How long before expiry the reminder goes out. */
  remindBeforeHours?: number;
  /** Told after the sweep wrote to members (the service drops them from its cache) and queued messages. */
  onChanged?: (memberKeys: string[], outboxIds: string[]) => void;
}

export async function sweepRuns(now: Date, deps: RunSweepDeps): Promise<{ reminded: number; expired: number }> {
  const changed: string[] = [];
  const queued: string[] = [];
  let expired = 0;
  const dueToExpire = await findMembersWithRunExpiredBy(now);
  for (const m of dueToExpire) {
    await archiveRun(m._id, m.run, now);
    if (await clearRunIfUnchanged(m._id, m.rev)) {
      expired++;
      changed.push(`${m.channel}:${m.platformUserId}`);
    }
  }

  const remindFrom = new Date(now.getTime() + (deps.remindBeforeHours ?? 24) * 3600_000);
  const due = await findMembersWithRunToRemind(now, remindFrom);
  let reminded = 0;
  for (const m of due) {
    if (!m.run || m.run.reminderSentAt) continue;
    // Claim first (guarded by rev): a person answering right now wins, and gets no reminder.
    if (!(await claimRunReminder(m._id, m.rev, now))) continue;
    changed.push(`${m.channel}:${m.platformUserId}`);
    if (m.optedOut || m.blocked) continue;
    const language = m.language ?? 'id';
    const t = translatorFor(deps.i18n, language);
    const flow = deps.flows.get(m.run.flowId);
    const when = dateFormat(language === 'en' ? 'en-GB' : 'id-ID', {
      timeZone: deps.timeZone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
    }).format(m.run.expiresAt);
    // Where the person is reached now: the channel chosen or used last (a linked one too).
    const route = proactiveRoute(m);
    const ids = await enqueue([{
      id: `runrem:${String(m.run.id)}`,
      kind: 'reminder',
      channel: route.channel,
      to: route.platformUserId,
      fallback: route.fallback ? { channel: route.fallback.channel, to: route.fallback.platformUserId } : null,
      memberId: m._id,
      messages: [{ text: t('bot:run.reminder', { flow: flow ? t(`${flow.namespace}:${flow.title}`) : m.run.flowId, when }), language }],
      expiresAt: m.run.expiresAt,
    }], { now });
    queued.push(...ids);
    reminded++;
  }
  if (changed.length || queued.length) deps.onChanged?.(changed, queued);
  return { reminded, expired };
}
