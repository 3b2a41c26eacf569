/** The Telegram prompt store in MongoDB: paging and long-id buttons survive restarts and work across instances. */
import { Coalescer, bulkWriteEach } from '../../db/coalesce.js';
import { TelegramPromptModel } from '../../db/models.js';
import type { StoredPrompt } from './keyboard.js';
import type { TelegramPromptStore } from './prompt-store.js';

type Upsert = { updateOne: { filter: { _id: string }; update: { $set: { prompt: StoredPrompt; savedAt: Date } }; upsert: true } };

export class MongoPromptStore implements TelegramPromptStore {
  /** Questions sent at the same moment to different people are stored in one bulk command. */
  private readonly upserts = new Coalescer((ops: Upsert[]) => bulkWriteEach(TelegramPromptModel.collection, ops as never[]), { concurrency: 1 });

  /** Prompts whose write is under way: a press that comes right after the message must find them. */
  private readonly writing = new Map<string, StoredPrompt>();

  async get(chatId: number, messageId: number): Promise<StoredPrompt | undefined> {
    const id = `${chatId}:${messageId}`;
    const pending = this.writing.get(id);
    if (pending) return structuredClone(pending);
    const doc = await TelegramPromptModel.collection.findOne({ _id: id as never });
    return doc ? (doc.prompt as StoredPrompt) : undefined;
  }

  async set(chatId: number, messageId: number, prompt: StoredPrompt): Promise<void> {
    const id = `${chatId}:${messageId}`;
    const copy = structuredClone(prompt);
    this.writing.set(id, copy);
    try {
      await this.upserts.submit({ updateOne: { filter: { _id: id }, update: { $set: { prompt: copy, savedAt: new Date() } }, upsert: true } });
    } finally {
      if (this.writing.get(id) === copy) this.writing.delete(id);
    }
  }
}
