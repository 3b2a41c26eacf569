/**
 * Structured logging with pino. Secrets and phone numbers never reach the logs: known
 * fields are redacted by path, and free text (messages, error messages) is scrubbed of
 * anything that looks like a bot token, a bearer token or a phone number.
 */
import { pino, stdSerializers, type Logger } from 'pino';

export type { Logger };

const REDACTED = '[redacted]';

/** Field names whose values are secret or personal wherever they appear (two levels deep). */
const SENSITIVE_KEYS = [
  'token', 'secret', 'password', 'authorization', 'accessToken', 'appSecret', 'verifyToken',
  'phone', 'phoneNumber', 'wa_id', 'waId', 'platformUserId', 'MONGODB_URI', 'mongodbUri',
  'TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET',
];
const redactPaths = SENSITIVE_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]).concat([
  'req.headers.authorization',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'req.headers["x-hub-signature-256"]',
]);

const PATTERNS: [RegExp, string][] = [
  [/(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}/g, '[bot-token]'], // Telegram bot token, also inside URLs
  [/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]'],
  [/(mongodb(?:\+srv)?:\/\/)[^@/\s]+@/gi, '$1[credentials]@'], // user:password in connection strings
  [/\+?\b(?:62|0)8\d{7,12}\b/g, '[phone]'], // Indonesian mobile numbers, local or international
  [/\+\d{10,15}\b/g, '[phone]'],
];

/** Replaces secrets and phone numbers in free text. Exported for tests and for error messages shown to admins. */
export function scrub(text: string): string {
  return PATTERNS.reduce((acc, [re, replacement]) => acc.replace(re, replacement), text);
}

export function createLogger(options: { level: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: redactPaths, censor: REDACTED },
      serializers: {
        err: (err: Error) => {
          const serialized = stdSerializers.err(err);
          return { ...serialized, message: scrub(serialized.message), stack: serialized.stack ? scrub(serialized.stack) : undefined };
        },
      },
      hooks: {
        // Scrub the message string and string arguments of every log call.
        logMethod(args, method) {
          const cleaned = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as typeof args;
          return method.apply(this, cleaned);
        },
      },
    },
    options.destination,
  );
}
