/**
 * The normalized message shapes every channel adapter maps to and from.
 * Nothing outside src/channels/<name>/ knows a platform's own payloads.
 */

/** Context of a reply: what the person pressed, so a channel can edit that message or answer the tap. */
export interface ReplyContext {
  /** Platform id of the message that carried the pressed button. */
  sourceMessageId?: string;
  /** Telegram callback query to answer (stops the button's spinner). */
  callbackQueryId?: string;
  /** The prompt number of the pressed button. */
  promptSeq?: number;
}

export type ChannelName = 'telegram' | 'whatsapp' | 'web';

/** What a person sent, whatever the platform. */
export type InboundContent =
  | { kind: 'text'; text: string }
  /** A button press. `promptSeq` identifies the question the button belonged to (stale buttons are refused). */
  | { kind: 'choice'; promptSeq: number; choiceId: string }
  | { kind: 'location'; latitude: number; longitude: number; name?: string }
  /** `mediaId`: where the channel keeps the photo in GridFS (src/media/store.ts), set before recording. */
  | { kind: 'photo'; fileId: string; caption?: string; mediaId?: string }
  /**
   * A voice note or sent audio file. `seconds` and `bytes` as the platform (or the download)
   * told them; `mediaId` as for photos. Over VOICE_LIMITS it is refused with the limit in words.
   */
  | { kind: 'audio'; fileId: string; mediaId?: string; seconds?: number; bytes?: number; mimeType?: string }
  /** Something the bot can't read (a voice note, a sticker, a video...): answered kindly, never lost silently. */
  | { kind: 'unsupported'; what: string };

/** What a voice note may be: 5 minutes, 10 MB (both platforms serve more: Telegram 20 MB, WhatsApp 16 MB). */
export const VOICE_LIMITS = { seconds: 5 * 60, bytes: 10 * 1024 * 1024 } as const;

export interface InboundMessage {
  channel: ChannelName;
  /** The person's id on that platform (Telegram user id, WhatsApp wa_id, web session id). */
  platformUserId: string;
  /** Platform-unique id of this inbound event, used to drop repeats (Telegram: update_id). */
  messageId: string;
  receivedAt: Date;
  /** Name from the platform profile, if any: only a suggestion, never stored without consent. */
  profileName?: string;
  /**
   * The same person's other ids on this channel, when the platform gave more than one (WhatsApp:
   * the phone number as `platformUserId` and the business-scoped user id here).
   */
  otherIds?: string[];
  /** The platform's language hint (e.g. Telegram's language_code). */
  languageHint?: string;
  content: InboundContent;
  /** What the person pressed (the button's message, the callback query), handed to the reply's rendering. */
  replyTo?: ReplyContext;
}

export interface ChoiceOption {
  id: string;
  label: string;
}

/** A question's picture (XLSForm media::image): an http(s) URL, or a file name in flows/media/<flow>/. */
export interface OutboundImage {
  flow: string;
  file: string;
}

/** One message to show a person, already translated into their language. Plain text: adapters escape. */
export interface OutboundMessage {
  text: string;
  /** A picture sent as a photo (and nothing else: `text` is empty), before the question it belongs to. */
  image?: OutboundImage;
  /** Buttons to offer. For `multiple`, `selected` holds the ids already toggled on. */
  choices?: ChoiceOption[];
  multiple?: { selected: string[] };
  /** The prompt sequence number buttons must carry back (see InboundContent.choice). */
  promptSeq?: number;
  /** What kind of answer the question waits for, so an adapter can offer e.g. a location button. */
  expect?: 'text' | 'choice' | 'location' | 'photo' | 'none';
  /** The language the text is in ('id', 'en'), for the few words an adapter adds itself (button labels). */
  language?: string;
  /** The same question as structure (set by the flow engine), for channels that lay it out themselves. */
  prompt?: PromptStructure;
}

/**
 * A question as parts, so a channel with other limits (WhatsApp lists, 20-character buttons) can
 * render it without parsing `text`. `text` stays the whole message as Telegram shows it.
 * Special choice ids are exported by the engine: SKIP_ID, SKIP_UNKNOWN_ID, SKIP_NONE_ID (skip),
 * DONE_ID (finish a multiple choice), SEND_ID / CHANGE_ID (summary), YES_ID / NO_ID.
 */
export interface PromptStructure {
  /** Said first: an error, or "that button was from an old question". */
  lead?: string;
  /** Shown before the question: a repeat group's item heading, or the summary of answers. */
  heading?: string;
  question: string;
  /** How to answer ("Balas dengan nomor pilihan.", the ways out on a first question). */
  hint?: string;
  choices?: { id: string; label: string; description?: string }[];
  /** A multiple choice: ids toggled on so far, and how many may be picked. */
  multiple?: { selected: string[]; min?: number; max?: number };
  /** KEMBALI (a question to go back to), BATAL (always), LEWATI (an optional question). */
  waysOut: { back: boolean; cancel: boolean; skip: boolean };
  expect: 'text' | 'choice' | 'location' | 'photo' | 'none';
}

/** Where to reach a member proactively (reminders, broadcasts). */
export interface Address {
  channel: ChannelName;
  platformUserId: string;
}

/**
 * Where channels put what people send (src/pipeline/inbox.ts). Resolves once it is safe to
 * acknowledge the platform: 'handled' (the step and its replies are durable), 'recorded' (kept
 * to be handled soon), 'duplicate' (seen before). Throws when neither is possible right now:
 * the platform must send it again.
 */
export interface InboundSink {
  receive(message: InboundMessage): Promise<'handled' | 'recorded' | 'duplicate'>;
}

/** Implemented by the conversation service; adapters call it for every inbound message. */
/** How a message reached the handler. */
export interface HandleOptions {
  /**
   * The platform is told "received" only after handle() resolves (Telegram's webhook answered
   * then, the simulator's HTTP answer): a crash before that brings the same message again.
   * Otherwise it was recorded first (the inbox) and is marked done later.
   */
  acknowledgedAfter?: boolean;
}

export interface InboundHandler {
  /** Returns the replies to send, or null when the message was a duplicate and must be ignored. */
  handle(message: InboundMessage, how?: HandleOptions): Promise<OutboundMessage[] | null>;
  /** Called by adapters when the platform reports the person blocked (true) or unblocked (false) the bot. */
  setBlocked(address: Address, blocked: boolean): Promise<void>;
}

/** More choices than this (a kecamatan's 24 villages) are shown as buttons only, under a short text. */
export const LONG_LIST_FROM = 9;

/** A question whose list would push it off a phone's screen were it written out above its buttons. */
export function isLongList(message: OutboundMessage, longFrom = LONG_LIST_FROM): boolean {
  return !!message.prompt && message.expect !== 'location' && (message.choices?.length ?? 0) >= longFrom;
}

/**
 * The text of a long list shown as buttons only: the question and how to answer, without the
 * numbered list; the engine's "reply with the number" line becomes the channel's `tapOrType`.
 */
export function shortListText(message: OutboundMessage, chooseHint: string, tapOrType: string): string {
  const p = message.prompt!;
  const hint = (p.hint ?? '').split('\n').map((line) => (line.trim() === chooseHint ? tapOrType : line)).join('\n');
  return [p.lead, p.heading, p.question, hint].filter((s): s is string => !!s && s.trim() !== '').join('\n\n');
}
