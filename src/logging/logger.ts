/**
 * Structured logging with pino. Secrets and personal data never reach the logs, at any depth:
 *  - every logged object passes through `sanitize`: keys that are secret or personal are
 *    redacted wherever they sit, objects that carry whole requests or chat updates (grammY's
 *    ctx, api, update, a request body) are dropped, and every string is scrubbed of tokens,
 *    bearer tokens, connection-string passwords and phone numbers;
 *  - errors keep only their type, message, code and stack (scrubbed), never their properties,
 *    which in grammY and the MongoDB driver can hold the token or the whole payload.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACTED = '[redacted]';

/** Field names whose values are secret or personal wherever they appear. */
const SENSITIVE_KEYS = new Set(
  [
    'token', 'secret', 'password', 'authorization', 'accessToken', 'appSecret', 'verifyToken', 'cookie',
    'phone', 'phoneNumber', 'wa_id', 'waId', 'platformUserId', 'MONGODB_URI', 'mongodbUri', 'uri',
    'TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN',
    'name', 'first_name', 'last_name', 'username', 'text', 'caption', 'answers', 'display', 'messages', 'chatId', 'to', 'from',
    'x-telegram-bot-api-secret-token', 'x-hub-signature-256',
  ].map((k) => k.toLowerCase()),
);
/** Objects that carry a whole payload: never logged. */
const DROPPED_KEYS = new Set(['ctx', 'api', 'update', 'body', 'payload', 'request', 'response', 'raw', 'message_obj', 'config']);

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

/** An error as it may be logged: type, message, code and stack, scrubbed. */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err, message: scrub(String(err)) };
  const out: Record<string, unknown> = { type: err.name || err.constructor?.name || 'Error', message: scrub(err.message) };
  const code = (err as { code?: unknown; error_code?: unknown }).code ?? (err as { error_code?: unknown }).error_code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err.stack) out.stack = scrub(err.stack);
  if (err.cause !== undefined) out.cause = serializeError(err.cause);
  return out;
}

/** A copy safe to log: sensitive keys redacted at any depth, payload carriers dropped, strings scrubbed. */
export function sanitize(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return serializeError(value);
  if (value instanceof Date) return value;
  if (seen.has(value) || depth > 6) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => sanitize(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const lower = key.toLowerCase();
    if (DROPPED_KEYS.has(lower)) continue;
    if (key === 'err' || key === 'error') {
      out[key] = v instanceof Error ? serializeError(v) : sanitize(v, depth + 1, seen);
      continue;
    }
    out[key] = SENSITIVE_KEYS.has(lower) ? REDACTED : sanitize(v, depth + 1, seen);
  }
  return out;
}

export function createLogger(options: { level: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      // Errors arrive already serialized by sanitize(); pino's own serializer would rename their type "Object".
      serializers: { err: (e: unknown) => e, error: (e: unknown) => e },
      hooks: {
        // Every argument of every log call: objects sanitized, strings scrubbed.
        logMethod(args, method) {
          const cleaned = args.map((a) => sanitize(a)) as typeof args;
          return method.apply(this, cleaned);
        },
      },
    },
    options.destination,
  );
}
