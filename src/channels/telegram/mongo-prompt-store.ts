/** The Telegram prompt store in MongoDB: paging and long-id buttons survive restarts and work across instances. */
import { Coalescer } from '../../db/coalesce.js';
import { findPrompt, savePrompts, type PromptWrite } from '../../db/repositories/telegram-prompts.js';
import type { StoredPrompt } from './keyboard.js';
import type { TelegramPromptStore } from './prompt-store.js';

export class MongoPromptStore implements TelegramPromptStore {
  /** Questions sent at the same moment to different people are stored in one bulk command. */
  private readonly upserts = new Coalescer((writes: PromptWrite[]) => savePrompts(writes), { concurrency: 1 });

  /** Prompts whose write is under way: a press that comes right after the message must find them. */
  private readonly writing = new Map<string, StoredPrompt>();

  async get(chatId: number, messageId: number): Promise<StoredPrompt | undefined> {
    const id = `${chatId}:${messageId}`;
    const pending = this.writing.get(id);
    if (pending) return structuredClone(pending);
    return (await findPrompt(id)) as StoredPrompt | undefined;
  }

  async set(chatId: number, messageId: number, prompt: StoredPrompt): Promise<void> {
    const id = `${chatId}:${messageId}`;
    const copy = structuredClone(prompt);
    this.writing.set(id, copy);
    try {
      await this.upserts.submit({ id, prompt: copy, savedAt: new Date() });
    } finally {
      if (this.writing.get(id) === copy) this.writing.delete(id);
    }
  }
}
