/**
 * The composition root: wires configuration, database, seed, flows, the pipeline (inbox,
 * conversation service, outbox, dispatcher), HTTP, channels and schedules into one running
 * service, and takes it down gracefully (stop taking work, finish what is in flight, close
 * the database).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cron from 'node-cron';
import { facilitatorDepsFromConfig } from './facilitator/deps.js';
import { alertProxyRiskReport } from './facilitator/alerts.js';
import { createFacilitatorExtensions } from './facilitator/extensions.js';
import { ConversationService } from './conversation/service.js';
import { combineExtensions, type ChatExtensions } from './conversation/extensions.js';
import { ChannelRegistry, type ChannelRateLimits } from './channels/channel.js';
import type { ChannelContext, ChannelInstance, ChannelModule } from './channels/module.js';
import { telegramModule } from './channels/telegram/module.js';
import type { TelegramChannel } from './channels/telegram/index.js';
import { simulatorModule } from './channels/web/module.js';
import { forgetIdleSessions } from './channels/web/sessions.js';
import type { SimulatorLimits } from './channels/web/simulator.js';
import { whatsappModule } from './channels/whatsapp/module.js';
import type { WhatsAppSetup } from './channels/whatsapp/setup.js';
import { MediaDownloader } from './media/store.js';
import type { Config } from './config/index.js';
import { connectDatabase, type Database } from './db/connection.js';
import { deleteSimulatorCodes } from './db/repositories/access-codes.js';
import { deleteSettledInboxEntriesBefore } from './db/repositories/inbox.js';
import { findMemberLanguage, setMemberBlocked } from './db/repositories/members.js';
import { deleteDeliveryStatusesBefore } from './db/repositories/sent-messages.js';
import { deletePromptsSavedBefore } from './db/repositories/telegram-prompts.js';
import { seedVillages } from './db/seed.js';
import { loadFlowVersions } from './engine/versions.js';
import { createApp, finishApp } from './http/app.js';
import { createI18n } from './i18n.js';
import type { Logger } from './logging/logger.js';
import { flowsDir } from './paths.js';
import { FLOW_MEDIA_ROUTE, flowMedia, flowMediaPath } from './media/flow-media.js';
import { Dispatcher } from './pipeline/dispatcher.js';
import { Inbox } from './pipeline/inbox.js';
import { enqueue } from './pipeline/outbox.js';
import { purgeExpiredPersonalData, purgeUnreferencedMedia } from './privacy/retention.js';
import { startSchedules, type Schedules } from './schedule/index.js';
import { facilitatorJobs } from './facilitator/jobs.js';
import { seedPlanUpdateDates } from './facilitator/plan-update.js';
import { sweepRuns } from './conversation/run-sweep.js';
import { createWorkspaceExtensions, outboxNotifier } from './workspace/chat.js';
import { planProgressExtension } from './workspace/plan-progress.js';
import { proxyHandOffExtension } from './workspace/proxy-handoff.js';
import { createWorkspace, type Workspace } from './workspace/index.js';

export interface RunningService {
  port: number;
  /** The HTTP server (tests wait on its 'request' event). */
  server: Server;
  db: Database;
  conversations: ConversationService;
  inbox: Inbox;
  dispatcher: Dispatcher;
  channels: ChannelRegistry;
  telegram: TelegramChannel | null;
  /** The WhatsApp channel (webhook, Graph API client, photo downloads), when WHATSAPP_ACCESS_TOKEN is set. */
  whatsapp: WhatsAppSetup | null;
  /** Photo downloads into GridFS (tests: `await media.idle()`). */
  media: MediaDownloader;
  /** The facilitator's workspace (pages, API, and its chat commands). */
  workspace: Workspace;
  /** Workshop reminders, the plan-update campaign, alert digests, broadcasts (tests call runDue). */
  schedules: Schedules;
  /** Runs the reminder/expiry sweep now (the cron job runs it every 10 minutes). */
  sweep(now?: Date): Promise<{ reminded: number; expired: number }>;
  stop(): Promise<void>;
}

export interface ServiceHooks {
  /** More features that plug into chat, beside the facilitator's and the workspace's own. */
  extensions?: ChatExtensions;
  /** The clock, for tests. */
  now?: () => Date;
  /** Start node-cron's timers for the facilitator's schedules (default true; tests drive schedules.runDue). */
  cron?: boolean;
  /** Tests against a local Bot API configured with a bigger per-chat burst say so here. */
  telegramRateLimits?: Partial<ChannelRateLimits>;
  /** Tests that send more than a person would through the simulator raise its limits here. */
  simulatorLimits?: Partial<SimulatorLimits>;
}

/** How long handled inbound ids are kept as dedupe marks: longer than any platform retries (WhatsApp: 7 days). */
const DEDUPE_RETENTION_MS = 14 * 24 * 3600_000;

export async function startService(config: Config, logger: Logger, hooks: ServiceHooks = {}): Promise<RunningService> {
  // Flows first: a broken flow file must stop start-up before anything else happens.
  const versions = await loadFlowVersions(flowsDir);
  const flows = versions.current;
  const i18n = await createI18n();
  logger.info({ flows: [...flows.keys()] }, `Loaded ${flows.size} flows`);

  const db = await connectDatabase(config, logger);
  const seeded = await seedVillages();
  logger.info({ inserted: seeded.inserted, total: seeded.total }, `Villages: ${seeded.total} in the seed, ${seeded.inserted} newly added`);
  if (!config.simulatorRoleCodes) {
    // The simulator's role codes exist only where no real channel is configured.
    const gone = await deleteSimulatorCodes();
    if (gone) logger.info(`Removed ${gone} simulator role codes (a real channel is configured)`);
  }
  const planDates = await seedPlanUpdateDates(hooks.now?.() ?? new Date(), config.TIMEZONE);
  if (planDates) logger.info(`Plan-update dates set for ${planDates} villages`);

  const channels = new ChannelRegistry();
  const dispatcher = new Dispatcher({
    channels,
    logger,
    ...(hooks.now ? { now: hooks.now } : {}),
    onBlocked: async (channel, to) => {
      conversations.invalidate(channel, to);
      await setMemberBlocked({ channel: channel as import('./messages/index.js').Address['channel'], platformUserId: to }, true);
    },
  });
  // The facilitator's voice (workshops, broadcasts, alerts, reminders) and the workspace.
  const facilitator = facilitatorDepsFromConfig(config, {
    i18n, logger, wake: () => dispatcher.wake(), ...(hooks.now ? { now: hooks.now } : {}),
  });
  const workspace = createWorkspace({
    logger, flows, i18n,
    publicBaseUrl: config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`,
    notifyMember: outboxNotifier(facilitator),
    // A risk report entered in the pages for a resident alerts the village's facilitators as one from chat does.
    onProxySubmitted: async (s) => void (await alertProxyRiskReport(s, facilitator)),
    timeZone: config.TIMEZONE,
    ...(hooks.now ? { now: hooks.now } : {}),
    ...(config.MAP_TILE_URL ? { mapTileUrl: config.MAP_TILE_URL } : {}),
  });
  const extensions = combineExtensions(
    createFacilitatorExtensions(facilitator),
    createWorkspaceExtensions(workspace),
    planProgressExtension(),
    proxyHandOffExtension(flows),
    ...(hooks.extensions ? [hooks.extensions] : []),
  );
  const conversations: ConversationService = new ConversationService({
    flows,
    i18n,
    logger,
    timeZone: config.TIMEZONE,
    runExpiryHours: config.RUN_EXPIRY_HOURS,
    ...(hooks.now ? { now: hooks.now } : {}),
    extensions,
    flowForRun: (flowId, version) => versions.flowForRun(flowId, version),
    // Replies go out at once when the dispatcher can send them; otherwise into the outbox, already claimed by this process.
    outbox: { claimFor: dispatcher.claimFor, onEnqueued: (ids) => dispatcher.wake(ids), sendAtOnce: (item) => dispatcher.sendAtOnce(item) },
  });
  const inbox = new Inbox({
    handle: (message, how) => conversations.handle(message, how),
    logger,
    // Telegram and the simulator never deliver an acknowledged message again: handled at once.
    // WhatsApp may, days later: recorded first, its inbox record the lasting dedupe mark.
    handleInline: (message) => message.channel !== 'whatsapp',
    // A message that keeps failing (a bug) is given up, and the person is told instead of waiting forever.
    onGiveUp: async (message) => {
      const member = await findMemberLanguage(message);
      const language = member?.language ?? 'id';
      const ids = await enqueue([{
        id: `reply:${message.channel}:${message.messageId}`, kind: 'reply', channel: message.channel, to: message.platformUserId,
        memberId: member?._id ?? null, messages: [{ text: i18n.getFixedT(language)('bot:errors.gaveUp'), language }], replyTo: message.replyTo ?? null,
      }]);
      dispatcher.wake(ids);
    },
  });

  let shuttingDown = false;
  const app = createApp({ logger, isReady: () => db.isReady(), isShuttingDown: () => shuttingDown });
  // Questions' pictures (XLSForm media::image), for the channels and the route below.
  const pictures = flowMedia(flowsDir, config.PUBLIC_BASE_URL);
  // Photos and voice notes from any channel go into GridFS soon after they arrive (src/media/store.ts).
  const media = new MediaDownloader({ logger });
  // Each channel is a module with both halves (src/channels/module.ts): one line each.
  const channelContext: ChannelContext = {
    app, config, inbox, conversations, channels, i18n, logger, media, flowMedia: pictures,
    ...(hooks.now ? { now: hooks.now } : {}),
    ...(hooks.telegramRateLimits ? { telegramRateLimits: hooks.telegramRateLimits } : {}),
    ...(hooks.simulatorLimits ? { simulatorLimits: hooks.simulatorLimits } : {}),
  };
  const started: { label: string; instance: ChannelInstance<unknown> }[] = [];
  const useChannel = <H>(module: ChannelModule<H>): H | null => {
    if (!module.enabled(config)) return null;
    const instance = module.setUp(channelContext);
    started.push({ label: module.label, instance });
    return instance.handle;
  };
  useChannel(simulatorModule);
  const telegram = useChannel(telegramModule);
  const whatsapp = useChannel(whatsappModule);
  // After the channels: a webhook is matched before the workspace's 80 routes are walked (the
  // express router tries each in turn, and that walk was 5% of a webhook's CPU under load).
  app.use(workspace.router);
  // Questions' pictures (XLSForm media::image): public, as WhatsApp fetches them by link.
  app.get(`${FLOW_MEDIA_ROUTE}/:flow/:file`, (req, res) => {
    const file = flowMediaPath(flowsDir, String(req.params.flow), String(req.params.file));
    if (!file) return void res.status(404).json({ error: 'not_found', message: 'No such picture.' });
    res.sendFile(file, { maxAge: '1d', dotfiles: 'deny' }, (err) => {
      if (err && !res.headersSent) res.status(404).json({ error: 'not_found', message: 'No such picture.' });
    });
  });
  finishApp(app, logger);

  const sweep = async (now = hooks.now?.() ?? new Date()) => {
    // Beside the TTL indexes (mongod and the stand-in both run a TTL monitor): settled inbox
    // records go here while pending ones stay, and the rest go even where a monitor lags.
    await deleteSettledInboxEntriesBefore(new Date(now.getTime() - DEDUPE_RETENTION_MS));
    await deletePromptsSavedBefore(new Date(now.getTime() - 30 * 24 * 3600_000));
    await deleteDeliveryStatusesBefore(new Date(now.getTime() - 30 * 24 * 3600_000));
    await dispatcher.deleteFinished(14);
    await forgetIdleSessions(now);
    return sweepRuns(now, {
      i18n, flows, timeZone: config.TIMEZONE, logger,
      onChanged: (keys, ids) => {
        for (const key of keys) {
          const at = key.indexOf(':');
          conversations.invalidate(key.slice(0, at), key.slice(at + 1));
        }
        dispatcher.wake(ids);
      },
    });
  };
  // Every night at 03:00 (WIT by default): delete what the retention promise says must go.
  const retentionTask = cron.schedule(
    '0 3 * * *',
    async () => {
      try {
        const purged = await purgeExpiredPersonalData(new Date(), { unregisteredAfterHours: config.RUN_EXPIRY_HOURS });
        if (purged.inactive || purged.unregistered) logger.info(purged, 'Retention: members deleted');
        const photos = await purgeUnreferencedMedia(new Date(), { olderThanHours: config.RUN_EXPIRY_HOURS + 24 });
        if (photos) logger.info({ photos }, 'Retention: photos nobody refers to deleted');
        conversations.invalidate();
      } catch (err) {
        logger.error({ err }, 'Retention job failed');
      }
    },
    { name: 'retention', timezone: config.TIMEZONE, noOverlap: true },
  );
  const sweepTask = cron.schedule(
    '*/10 * * * *',
    async () => {
      try {
        const result = await sweep();
        if (result.reminded || result.expired) logger.info(result, 'Run sweep');
      } catch (err) {
        logger.error({ err }, 'Run sweep failed');
      }
    },
    { name: 'run-sweep', timezone: config.TIMEZONE, noOverlap: true },
  );

  const schedules = startSchedules(facilitatorJobs, facilitator, { cron: hooks.cron !== false });

  const stopTimers = async () => {
    await sweepTask.stop();
    await retentionTask.stop();
    await schedules.stop();
  };

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err: NodeJS.ErrnoException) => {
    await stopTimers();
    await db.close();
    throw new Error(err.code === 'EADDRINUSE' ? `PORT ${config.PORT} is already in use; stop the other program or set PORT to a free port` : err.message);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.HOST }, `Listening on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`);

  // Work left by an earlier run (a crash) goes first: pending inbound messages and unsent replies.
  inbox.start();
  dispatcher.start();
  void inbox.recover().catch((err: unknown) => logger.warn({ err }, 'inbox: first recovery failed'));

  for (const { label, instance } of started) {
    if (!instance.start) continue;
    try {
      await instance.start();
      if (instance.startedLine) logger.info(instance.startedLine);
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inbox.stop();
      await dispatcher.stop();
      await stopTimers();
      await db.close();
      throw new Error(`${label} did not start: ${(err as Error).message}.${instance.startHint ? ` ${instance.startHint}` : ''}`);
    }
  }
  if (config.simulatorEnabled) logger.info(`Chat simulator: open http://localhost:${port}/ in a browser`);

  return {
    port,
    server,
    db,
    conversations,
    inbox,
    dispatcher,
    channels,
    telegram,
    whatsapp,
    media,
    workspace,
    schedules,
    sweep,
    async stop() {
      if (shuttingDown) return;
      shuttingDown = true;
      await stopTimers();
      // Stop fetching updates first; then let requests and handling in flight finish.
      for (const { instance } of started) await instance.stop?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await inbox.stop();
      await dispatcher.stop();
      // Photos being downloaded get a few seconds to land in GridFS (one not kept still has its platform file id).
      await Promise.race([media.idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
      await db.close();
      logger.info('Stopped');
    },
  };
}
