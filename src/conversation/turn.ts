/**
 * One message's turn: what the person is told and what changes on their member document,
 * gathered while the parts of the conversation (router, commands, runs, registration, menu,
 * personal data) work, then committed by the service in one guarded update.
 */
import type { MemberState } from '../db/repositories/members.js';
import type { RunEndRecord } from '../db/repositories/funnel.js';
import type { InboundMessage, OutboundMessage } from '../messages/index.js';

export class Turn {
  readonly replies: OutboundMessage[] = [];
  /** Fields of the member to set in the final guarded update. */
  readonly set: Partial<MemberState> = {};
  deleteMember: 'forget' | 'delete-request' | null = null;
  /** Two accounts were linked: members cached under either address are stale. */
  linked = false;
  /** Runs this turn ended without a submission: recorded for the funnel before the commit. */
  readonly endedRuns: RunEndRecord[] = [];
  /** Something was written beside the member (a submission, a help request, a feature's record). */
  private wroteElsewhere = false;

  constructor(
    public readonly member: MemberState,
    public readonly message: InboundMessage,
  ) {}

  /** The member as it will be after this turn. */
  get view(): MemberState {
    return { ...this.member, ...this.set };
  }

  /** True when the turn changes nothing durable: its replies may be sent again after a crash. */
  get changesNothing(): boolean {
    return Object.keys(this.set).length === 0 && this.deleteMember === null && !this.wroteElsewhere;
  }

  /** Called by every part that writes beside the member during this turn. */
  wrote(): void {
    this.wroteElsewhere = true;
  }

  update(fields: Partial<MemberState>): void {
    Object.assign(this.set, fields);
  }

  say(...messages: OutboundMessage[]): void {
    this.replies.push(...messages);
  }
}
