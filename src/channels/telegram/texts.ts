/** The Telegram adapter's own words (buttons and notices it adds itself), shared by inbound and outbound. */
import { GrammyError } from 'grammy';
import type { Logger } from '../../logging/logger.js';
import type { KeyboardLabels } from './keyboard.js';

export type TelegramLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** The choice id the done button of a multiple-choice question sends (unless the prompt offers its own). */
export const MULTIPLE_DONE_CHOICE_ID = '__done__';

/** Texts the adapter adds itself. The service's messages arrive translated; these are short and neutral. */
export interface TelegramTexts extends KeyboardLabels {
  /** The reply-keyboard button that shares the location. */
  shareLocation: string;
  /** Placeholder in the input field while the location keyboard shows: the typed alternative. */
  locationPlaceholder: string;
  /** Toast when a button can no longer be resolved (e.g. paging after a restart). */
  expired: string;
  /** How to answer a list shown only as buttons (more than one page): said instead of the engine's hint. */
  tapOrType: string;
  /** The engine's "reply with the number" hint (engine:hint.choose), replaced where no numbers are shown. */
  engineChooseHint: string;
}

export const DEFAULT_TELEGRAM_TEXTS: TelegramTexts = {
  done: '✔️ Selesai',
  previous: '◀',
  next: '▶',
  selectedPrefix: '✅ ',
  shareLocation: '📍 Kirim lokasi saya',
  locationPlaceholder: 'atau ketik nama dusun / tempat',
  expired: 'Tombol ini sudah tidak berlaku. Silakan jawab pertanyaan terakhir.',
  tapOrType: 'Tekan salah satu tombol (▶ untuk halaman berikutnya), atau ketik namanya.',
  engineChooseHint: 'Balas dengan nomor pilihan.',
};

/** The adapter's words in a reader's language ('id', 'en'...), over the defaults. */
export function textsResolver(
  texts: Partial<TelegramTexts> | undefined,
  byLanguage: Record<string, Partial<TelegramTexts>> | undefined,
): { texts: TelegramTexts; textsFor(language: string | undefined): TelegramTexts } {
  const base: TelegramTexts = { ...DEFAULT_TELEGRAM_TEXTS, ...texts };
  return {
    texts: base,
    textsFor(language) {
      const own = language ? byLanguage?.[language.slice(0, 2).toLowerCase()] : undefined;
      return own ? { ...base, ...own } : base;
    },
  };
}

/** Telegram's answer to an edit that changes nothing: not an error worth a log line. */
export const isNotModified = (e: unknown) => e instanceof GrammyError && /message is not modified/i.test(e.description);
