/**
 * The chat simulator's sessions and transcripts (collection simulator_sessions): the server
 * issues every session id, refuses ids it did not issue, and keeps what the page shows so a
 * reload brings the conversation back.
 */
import { randomBytes } from 'node:crypto';
import { SIMULATOR_ADDRESS_PREFIX } from '../../vocabulary.js';
import {
  createSimulatorSession, deleteSimulatorSessionsIdleSince, pushTranscriptEntries, readTranscriptEntries, touchSimulatorSession,
} from '../../db/repositories/simulator-sessions.js';
import type { OutboundMessage } from '../../messages/index.js';

/** How many entries a transcript keeps (the oldest go first). */
export const TRANSCRIPT_KEEP = 200;
/** A session unused this long is forgotten (the TTL index, and the sweep where the TTL monitor lags). */
export const SESSION_IDLE_DAYS = 30;

/** 128 random bits, base64url: 22 characters. */
export const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** A bot message as the page shows it (the prompt structure is left out). */
export type BotMessage = Pick<OutboundMessage, 'text' | 'choices' | 'multiple' | 'promptSeq' | 'expect' | 'language'>;

export type TranscriptEntry =
  | { from: 'person'; text: string; messageId: string; at: Date }
  /** `proactive`: a reminder or broadcast, not an answer to the person's message. */
  | { from: 'bot'; message: BotMessage; proactive?: boolean; at: Date }
  /** The simulator's own words (the role code it handed out). */
  | { from: 'note'; text: string; at: Date };

export type NumberedEntry = TranscriptEntry & { seq: number };

/** The member address (platformUserId on the web channel) of a session. */
export function addressOf(session: string): string {
  return `${SIMULATOR_ADDRESS_PREFIX}${session}`;
}

export async function issueSession(now: Date): Promise<string> {
  const id = randomBytes(16).toString('base64url');
  await createSimulatorSession(id, addressOf(id), now);
  return id;
}

/** True when the server issued this id (and has not forgotten it); marks it seen. */
export async function touchSession(id: string, now: Date): Promise<boolean> {
  if (!SESSION_ID.test(id)) return false;
  return touchSimulatorSession(id, now);
}

export function botEntry(message: OutboundMessage, at: Date, proactive = false): TranscriptEntry {
  const { text, choices, multiple, promptSeq, expect, language } = message;
  const kept: BotMessage = { text };
  if (choices?.length) kept.choices = choices;
  if (multiple) kept.multiple = multiple;
  if (promptSeq !== undefined) kept.promptSeq = promptSeq;
  if (expect) kept.expect = expect;
  if (language) kept.language = language;
  return proactive ? { from: 'bot', message: kept, proactive, at } : { from: 'bot', message: kept, at };
}

/** Appends entries in one update; returns the sequence number of the last one (0: no such session). */
export async function appendEntries(filter: { _id: string } | { address: string }, entries: TranscriptEntry[]): Promise<number> {
  if (!entries.length) return 0;
  return pushTranscriptEntries(filter, entries, TRANSCRIPT_KEEP);
}

export async function readTranscript(id: string): Promise<{ entries: NumberedEntry[]; lastSeq: number } | null> {
  const doc = await readTranscriptEntries(id);
  if (!doc) return null;
  const entries = doc.entries as TranscriptEntry[];
  const first = doc.count - entries.length + 1;
  return { entries: entries.map((entry, i) => ({ ...entry, seq: first + i })), lastSeq: doc.count };
}

/** The label of the button a person pressed, from the latest question that offered it. */
export function choiceLabel(entries: TranscriptEntry[], promptSeq: number, choiceId: string): string | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!;
    if (entry.from !== 'bot' || entry.message.promptSeq !== promptSeq) continue;
    const choice = entry.message.choices?.find((c) => c.id === choiceId);
    if (choice) return choice.label;
  }
  return undefined;
}

export async function forgetIdleSessions(now: Date): Promise<number> {
  return deleteSimulatorSessionsIdleSince(new Date(now.getTime() - SESSION_IDLE_DAYS * 24 * 3600_000));
}
