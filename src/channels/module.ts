/**
 * A channel is one module with both halves: what comes in (a webhook, polling, the simulator's
 * page) goes to the inbox; what goes out is an OutboundChannel registered for the dispatcher.
 * The service sets each module up with `useChannel(module)`: a third channel (SMS through an
 * Android gateway, say) is one folder with its module plus one line in src/service.ts.
 */
import type express from 'express';
import type { Config } from '../config/index.js';
import type { i18n as I18n } from 'i18next';
import type { Logger } from '../logging/logger.js';
import type { FlowMedia } from '../media/flow-media.js';
import type { MediaDownloader } from '../media/store.js';
import type { ChannelName, InboundHandler, InboundSink } from '../messages/index.js';
import type { ChannelRateLimits, ChannelRegistry } from './channel.js';
import type { SimulatorLimits } from './web/simulator.js';

/** What a channel module is given to set itself up. */
export interface ChannelContext {
  app: express.Application;
  config: Config;
  /** Where every inbound message goes (recorded or handled before it is acknowledged). */
  inbox: InboundSink;
  /** The conversation service, for what is not a message (the person blocked the bot; the simulator's answers). */
  conversations: InboundHandler;
  /** Where the module registers its outbound half. */
  channels: ChannelRegistry;
  i18n: I18n;
  logger: Logger;
  /** Photos and voice notes from any channel go into GridFS through this. */
  media: MediaDownloader;
  /** Questions' pictures (XLSForm media::image), sent before their question. */
  flowMedia?: FlowMedia;
  now?: () => Date;
  /** Tests' overrides of a platform's pace and the simulator's limits. */
  telegramRateLimits?: Partial<ChannelRateLimits>;
  simulatorLimits?: Partial<SimulatorLimits>;
}

/** A channel set up: `handle` is what the rest of the service (and tests) may use of it. */
export interface ChannelInstance<H> {
  handle: H;
  /** After the HTTP server listens (e.g. register a webhook, start polling). */
  start?(): Promise<void>;
  /** Before the HTTP server closes (stop taking updates). */
  stop?(): Promise<void>;
  /** One line for the log once started. */
  startedLine?: string;
  /** What to check when start() failed. */
  startHint?: string;
}

export interface ChannelModule<H> {
  readonly name: ChannelName;
  /** As people read it in a log line ("Telegram did not start: ..."). */
  readonly label: string;
  /** Whether the configuration turns it on (a token, SIMULATOR). */
  enabled(config: Config): boolean;
  setUp(context: ChannelContext): ChannelInstance<H>;
}
