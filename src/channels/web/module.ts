/**
 * The chat simulator as a channel module: its page's API in, its transcript out
 * (src/channels/module.ts). A person's message is answered within the HTTP request, so it goes
 * to the conversation service directly; what the service sends later (reminders, broadcasts)
 * arrives through the dispatcher like on any channel.
 */
import type { ChannelModule } from '../module.js';
import { createSimulatorRouter, WebInbox } from './simulator.js';

export const simulatorModule: ChannelModule<WebInbox> = {
  name: 'web',
  label: 'The chat simulator',
  enabled: (config) => config.simulatorEnabled,
  setUp(ctx) {
    const web = new WebInbox(ctx.now);
    ctx.channels.register(web);
    ctx.app.use(createSimulatorRouter({
      handler: ctx.conversations, i18n: ctx.i18n, roleCodes: ctx.config.simulatorRoleCodes,
      ...(ctx.now ? { now: ctx.now } : {}), ...(ctx.simulatorLimits ? { limits: ctx.simulatorLimits } : {}),
    }));
    return { handle: web };
  },
};
