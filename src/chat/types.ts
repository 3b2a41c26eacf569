/**
 * The normalized message shapes every channel adapter maps to and from.
 * Nothing outside src/channels/<name>/ knows a platform's own payloads.
 */

export type ChannelName = 'telegram' | 'whatsapp' | 'web';

/** What a person sent, whatever the platform. */
export type InboundContent =
  | { kind: 'text'; text: string }
  /** A button press. `promptSeq` identifies the question the button belonged to (stale buttons are refused). */
  | { kind: 'choice'; promptSeq: number; choiceId: string }
  | { kind: 'location'; latitude: number; longitude: number; name?: string }
  | { kind: 'photo'; fileId: string; caption?: string }
  /** Something the bot can't read (a voice note, a sticker, a video...): answered kindly, never lost silently. */
  | { kind: 'unsupported'; what: string };

export interface InboundMessage {
  channel: ChannelName;
  /** The person's id on that platform (Telegram user id, WhatsApp wa_id, web session id). */
  platformUserId: string;
  /** Platform-unique id of this inbound event, used to drop repeats (Telegram: update_id). */
  messageId: string;
  receivedAt: Date;
  /** Name from the platform profile, if any: only a suggestion, never stored without consent. */
  profileName?: string;
  /** The platform's language hint (e.g. Telegram's language_code). */
  languageHint?: string;
  content: InboundContent;
}

export interface ChoiceOption {
  id: string;
  label: string;
}

/** One message to show a person, already translated into their language. Plain text: adapters escape. */
export interface OutboundMessage {
  text: string;
  /** Buttons to offer. For `multiple`, `selected` holds the ids already toggled on. */
  choices?: ChoiceOption[];
  multiple?: { selected: string[] };
  /** The prompt sequence number buttons must carry back (see InboundContent.choice). */
  promptSeq?: number;
  /** What kind of answer the question waits for, so an adapter can offer e.g. a location button. */
  expect?: 'text' | 'choice' | 'location' | 'photo' | 'none';
  /** The language the text is in ('id', 'en'), for the few words an adapter adds itself (button labels). */
  language?: string;
}

/** Where to reach a member proactively (reminders, broadcasts). */
export interface Address {
  channel: ChannelName;
  platformUserId: string;
}

/** Result of a send from a channel adapter. `blocked` means the person blocked the bot: do not retry. */
export type SendOutcome = { ok: true } | { ok: false; blocked: boolean; retryAfterSeconds?: number; error: string };

/** Implemented by each channel adapter for proactive sends. */
export interface ChannelSender {
  readonly channel: ChannelName;
  send(to: Address, messages: OutboundMessage[]): Promise<SendOutcome>;
}

/** Implemented by the conversation service; adapters call it for every inbound message. */
export interface InboundHandler {
  /** Returns the replies to send, or null when the message was a duplicate and must be ignored. */
  handle(message: InboundMessage): Promise<OutboundMessage[] | null>;
  /** Called by adapters when the platform reports the person blocked (true) or unblocked (false) the bot. */
  setBlocked(address: Address, blocked: boolean): Promise<void>;
}
