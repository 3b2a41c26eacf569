/**
 * The workspace in chat, as ChatExtensions (registered in src/service.ts):
 *   MASUK      a one-time sign-in link to the pages (facilitators and admins)
 *   LAPORAN    new risk reports of the facilitator's villages, each with review buttons
 *   RINGKASAN  a short text summary of a village ("ringkasan", "ringkasan solang")
 *   ISI UNTUK WARGA  fill a form for a resident who can't type (the isi-untuk-warga flow; Pokja too)
 *   actions    rv:<reportId>:<status>  sets a report's review status; the reporter is told
 * and the notifier the workspace uses to tell a reporter, through the outbox.
 */
import { randomUUID } from 'node:crypto';
import type { i18n as I18n } from 'i18next';
import { Types } from 'mongoose';
import { nowOf, type FacilitatorDeps } from '../facilitator/deps.js';
import { queue, itemFor } from '../facilitator/queue.js';
import { reachableByIds, villagesOf } from '../facilitator/recipients.js';
import { FLOW, PROMPT_SEQ } from '../messages/flows.js';
import { type ChatExtensions, type HookContext } from '../conversation/extensions.js';
import type { OutboundMessage } from '../messages/index.js';
import { villageNamesByCode } from '../db/repositories/villages.js';
import { REVIEW_STATUSES, isSimulatorPerson, type ReviewStatus } from '../vocabulary.js';
import { normalizeCommandWord } from '../engine/text.js';
import { nextAllowed } from '../time/index.js';
import type { Workspace } from './index.js';

const STAFF = ['fasilitator', 'admin'] as const;
/** How many new reports LAPORAN shows at once, each with its buttons. */
const REPORTS_SHOWN = 5;
/** The statuses a facilitator can set from chat (baru is where reports start). */
const CHAT_STATUSES = REVIEW_STATUSES.filter((s) => s !== 'baru');

const isReviewStatus = (s: string): s is ReviewStatus => (REVIEW_STATUSES as readonly string[]).includes(s);

export function createWorkspaceExtensions(ws: Workspace): ChatExtensions {
  async function reports(ctx: HookContext): Promise<OutboundMessage[]> {
    const list = await ws.listNewReports(String(ctx.member._id), { limit: REPORTS_SHOWN, lang: ctx.member.language });
    if (!list) return [{ text: ctx.t('workspace:chat.login_denied') }];
    // The simulator's staff see only the simulator's reports (listNewReports limits them): say so.
    const scope = isSimulatorPerson(ctx.member) ? `\n${ctx.t('workspace:chat.simulator_scope')}` : '';
    if (list.total === 0) return [{ text: `${ctx.t('workspace:chat.no_new_reports')}${scope}` }];
    const statusButtons = (id: string) => CHAT_STATUSES.map((s) => ({ id: `rv:${id}:${s}`, label: ctx.t(`workspace:status.${s}`) }));
    return [
      { text: `${ctx.t('workspace:chat.new_reports_title', { count: list.total })}${scope}` },
      ...list.items.map((item): OutboundMessage => ({ text: item.text, choices: statusButtons(item.id), promptSeq: PROMPT_SEQ.action, expect: 'choice' })),
      ...(list.total > list.items.length ? [{ text: ctx.t('workspace:chat.more_reports', { count: list.total - list.items.length }) }] : []),
    ];
  }

  async function summary(ctx: HookContext & { args: string }): Promise<OutboundMessage[]> {
    const mine = await villagesOf(ctx.member);
    const wanted = ctx.args.trim();
    let codes = mine;
    if (wanted) {
      const names = await villageNamesByCode(mine);
      codes = [...names].filter(([code, name]) => code === wanted || normalizeCommandWord(name).includes(normalizeCommandWord(wanted))).map(([code]) => code);
      if (codes.length === 0) return [{ text: ctx.t('workspace:chat.summary_unknown', { name: wanted }) }];
    }
    const texts: string[] = [];
    const simulatorOnly = isSimulatorPerson(ctx.member);
    // A facilitator of many villages gets the first few; naming one narrows it down.
    for (const code of codes.slice(0, 3)) {
      const text = await ws.villageSummaryText(code, ctx.member.language, { simulatorOnly });
      if (text) texts.push(text);
    }
    if (texts.length === 0) return [{ text: ctx.t('workspace:chat.summary_none') }];
    if (simulatorOnly) texts.push(ctx.t('workspace:chat.simulator_scope'));
    if (codes.length > 3) texts.push(ctx.t('workspace:chat.summary_more', { count: codes.length - 3 }));
    return texts.map((text) => ({ text }));
  }

  return {
    commands: [
      {
        words: ['masuk', 'login'],
        roles: [...STAFF],
        run: async (ctx) => {
          if (isSimulatorPerson(ctx.member)) return [{ text: ctx.t('workspace:chat.simulator_no_workspace') }];
          const link = await ws.createLoginLink(String(ctx.member._id));
          return [{ text: link ? ctx.t('workspace:chat.login_link', { url: link.url }) : ctx.t('workspace:chat.login_denied') }];
        },
      },
      { words: ['laporan', 'reports'], roles: [...STAFF], run: reports },
      { words: ['ringkasan', 'summary'], roles: [...STAFF], args: /^[\p{L}\d .'-]{1,60}$/u, run: summary },
      { words: ['isi', 'proxy'], roles: ['pokja', ...STAFF], args: /^(untuk warga|for (a )?resident)$/, run: async () => ({ startFlow: FLOW.proxy }) },
    ],
    actions: {
      async rv(ctx, rest) {
        const [reportId = '', status = ''] = rest.split(':');
        if (!isReviewStatus(status)) return [{ text: ctx.t('bot:menu.staleButton') }];
        const result = await ws.setReportStatus({ memberId: String(ctx.member._id), reportId, status, via: 'chat' });
        if (!result.ok) return [{ text: ctx.t(result.reason === 'no_access' ? 'workspace:chat.login_denied' : 'workspace:chat.report_gone') }];
        return [{ text: ctx.t('workspace:chat.status_set', { status: ctx.t(`workspace:status.${status}`) }) }];
      },
    },
  };
}

/**
 * Tells a member something from the workspace (a review status change) through the outbox, in
 * their language, outside quiet hours. Nobody who stopped, blocked the bot or was deleted.
 */
export function outboxNotifier(deps: Pick<FacilitatorDeps, 'now' | 'wake' | 'quietHours' | 'timeZone'> & { i18n: I18n }) {
  return async (memberId: string, message: { key: string; params?: Record<string, unknown> }): Promise<void> => {
    if (!Types.ObjectId.isValid(memberId)) return;
    const [member] = await reachableByIds([new Types.ObjectId(memberId)]);
    if (!member) return;
    const text = String(deps.i18n.getFixedT(member.language)(message.key, message.params ?? {})).trim();
    const availableAt = nextAllowed(nowOf(deps), deps.quietHours, deps.timeZone);
    // Each change is its own notice: a replayed status change finds the same status and sends nothing.
    await queue([itemFor(member, `notice:${randomUUID()}`, 'notice', [{ text }], { availableAt })], deps);
  };
}
