/** The WhatsApp Cloud API channel adapter. Everything the rest of the program needs comes from here. */
export { createWhatsAppChannel, mountWhatsAppWebhook, signatureOf, verifySignature, WHATSAPP_WEBHOOK_PATH, type WhatsAppChannel, type WhatsAppChannelOptions } from './channel.js';
export { createWhatsAppOutbound, addressOf, templateParameter, WHATSAPP_CAPABILITIES, WHATSAPP_RATE_LIMITS, WINDOW_MS, type TemplateRef, type WhatsAppOutboundOptions } from './outbound.js';
export { createGraphClient, GraphError, type GraphClient } from './graph.js';
export { mapWebhook, type StatusEvent } from './inbound.js';
export { renderMessage, encodeChoiceId, decodeChoiceId, WA_LIMITS, DEFAULT_WHATSAPP_TEXTS, type WhatsAppTexts, type GraphMessage } from './render.js';
export { whatsappDeepLink } from './deep-link.js';
