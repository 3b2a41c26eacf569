/**
 * Where the adapter remembers the choice messages it rendered, keyed by (chat id, message id),
 * so that ◀ ▶ paging can redraw another page and index-encoded buttons (`i:`) can be mapped
 * back to choice ids. The in-memory store is per process and bounded; for several webhook
 * instances or restarts without losing paging, pass a store backed by MongoDB.
 */
import type { StoredPrompt } from './keyboard.js';

export interface TelegramPromptStore {
  get(chatId: number, messageId: number): Promise<StoredPrompt | undefined>;
  set(chatId: number, messageId: number, prompt: StoredPrompt): Promise<void>;
}

/** Bounded in-memory store: the least recently used entries go first. */
export class MemoryPromptStore implements TelegramPromptStore {
  private readonly entries = new Map<string, StoredPrompt>();
  constructor(private readonly maxEntries = 10_000) {}

  async get(chatId: number, messageId: number): Promise<StoredPrompt | undefined> {
    const key = `${chatId}:${messageId}`;
    const v = this.entries.get(key);
    if (v) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v ? structuredClone(v) : undefined;
  }

  async set(chatId: number, messageId: number, prompt: StoredPrompt): Promise<void> {
    const key = `${chatId}:${messageId}`;
    this.entries.delete(key);
    this.entries.set(key, structuredClone(prompt));
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
