/**
 * Telegram prompts: the question behind a message's buttons, keyed `<chat id>:<message id>`
 * (_id), so paging and long-id buttons survive restarts and work on any webhook instance. TTL
 * on { savedAt } (models/telegram-prompt.ts). The in-memory version of the same store is
 * channels/telegram/prompt-store.ts.
 */
import { bulkWriteEach } from '../coalesce.js';
import { TelegramPromptModel } from '../models.js';

export interface PromptWrite {
  id: string;
  prompt: unknown;
  savedAt: Date;
}

/** Stores several prompts in one bulk command; each write's own outcome, in order. */
export async function savePrompts(writes: PromptWrite[]): Promise<('ok' | Error)[]> {
  return bulkWriteEach(
    TelegramPromptModel.collection,
    writes.map((w) => ({ updateOne: { filter: { _id: w.id }, update: { $set: { prompt: w.prompt, savedAt: w.savedAt } }, upsert: true } })) as never[],
  );
}

/** The stored prompt, or undefined. */
export async function findPrompt(id: string): Promise<unknown> {
  const doc = await TelegramPromptModel.collection.findOne({ _id: id as never });
  return doc ? doc.prompt : undefined;
}

/** Forgets prompts saved before `before` (as the TTL index does; by hand too, where the TTL monitor lags). */
export async function deletePromptsSavedBefore(before: Date): Promise<void> {
  await TelegramPromptModel.deleteMany({ savedAt: { $lt: before } });
}
