/**
 * All configuration, read once from the environment (and an optional .env file), validated
 * into a typed object. A wrong value stops start-up with one line naming the variable.
 */
import { z } from 'zod';
import { parseClockTime, parseQuietHours } from '../time/index.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Empty strings count as "not set", so `FOO=` in .env behaves like a missing line. */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const port = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return 3000;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      ctx.addIssue({ code: 'custom', message: `expects a port number 0-65535, got "${v}"` });
      return z.NEVER;
    }
    return n;
  });

function positiveNumber(defaultValue: number, what: string) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return defaultValue;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) {
        ctx.addIssue({ code: 'custom', message: `expects ${what} (a positive number), got "${v}"` });
        return z.NEVER;
      }
      return n;
    });
}

function url(protocols: string[], what: string) {
  return optionalString.superRefine((v, ctx) => {
    if (v === undefined) return;
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expects ${what}, got something that is not a URL` });
      return;
    }
    if (!protocols.includes(parsed.protocol)) {
      ctx.addIssue({ code: 'custom', message: `expects ${what} (${protocols.join(' or ')}), got "${parsed.protocol}"` });
    }
  });
}

/** A local time of day like 16:00. */
function clockTime(defaultValue: string) {
  return optionalString.transform((v, ctx) => {
    const t = parseClockTime(v ?? defaultValue);
    if (!t) ctx.addIssue({ code: 'custom', message: `expects a time of day like ${defaultValue}, got "${v}"` });
    return t ?? z.NEVER;
  });
}

/** A WhatsApp template: `name` or `name:language` (lowercase letters, digits, _; language like id or en_US). */
const template = optionalString.transform((v, ctx) => {
  if (v === undefined) return undefined;
  const m = /^([a-z0-9_]{1,512})(?::([a-z]{2,3}(?:_[A-Z]{2})?))?$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expects a template name like pengingat_isian or pengingat_isian:id, got "${v}"` });
    return z.NEVER;
  }
  return { name: m[1]!, language: m[2] ?? 'id' };
});

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port,
  /** Interface to listen on: loopback unless said otherwise (the simulator has no login). */
  HOST: optionalString.transform((v) => v ?? '127.0.0.1'),
  MONGODB_URI: url(['mongodb:', 'mongodb+srv:'], 'a MongoDB connection string like mongodb://host:27017/suaradesa'),
  DATA_DIR: optionalString.transform((v) => v ?? './data'),
  // The database client stuck this long while the database answers a new connection: recreate it, or exit.
  DATABASE_STUCK_SECONDS: positiveNumber(10, 'seconds before a stuck database client is recovered'),
  DATABASE_STUCK_ACTION: z
    .enum(['reconnect', 'exit'], { message: 'expects reconnect or exit' })
    .optional()
    .default('reconnect'),
  LOG_LEVEL: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'info' : v.trim().toLowerCase()))
    .pipe(z.enum(LOG_LEVELS, { message: `expects one of ${LOG_LEVELS.join(', ')}` })),
  TIMEZONE: optionalString
    .transform((v) => v ?? 'Asia/Jayapura')
    .refine(isTimeZone, { message: 'expects an IANA time zone such as Asia/Jayapura' }),
  RUN_EXPIRY_HOURS: positiveNumber(168, 'hours before an unfinished conversation expires'),
  TELEGRAM_BOT_TOKEN: optionalString.refine((v) => v === undefined || /^\d+:[A-Za-z0-9_-]+$/.test(v), {
    message: 'expects a bot token like 123456:ABC-DEF... from @BotFather',
  }),
  TELEGRAM_API_ROOT: url(['http:', 'https:'], 'the Bot API base URL').transform((v) => v ?? 'https://api.telegram.org'),
  TELEGRAM_WEBHOOK_URL: url(['https:', 'http:'], 'the public https URL Telegram should POST updates to'),
  TELEGRAM_WEBHOOK_SECRET: optionalString.refine((v) => v === undefined || /^[A-Za-z0-9_-]{1,256}$/.test(v), {
    message: 'expects 1-256 characters of A-Z, a-z, 0-9, _ and -',
  }),
  TELEGRAM_BOT_USERNAME: optionalString,
  // WhatsApp Cloud API: on when WHATSAPP_ACCESS_TOKEN is set (then the app secret is required).
  WHATSAPP_ACCESS_TOKEN: optionalString,
  WHATSAPP_PHONE_NUMBER_ID: optionalString.refine((v) => v === undefined || /^\d{1,32}$/.test(v), { message: 'expects the phone number id (digits) from the WhatsApp Manager' }),
  WHATSAPP_APP_SECRET: optionalString,
  WHATSAPP_VERIFY_TOKEN: optionalString,
  WHATSAPP_API_VERSION: optionalString
    .transform((v) => v ?? 'v23.0')
    .refine((v) => /^v\d+\.\d+$/.test(v), { message: 'expects a Graph API version like v23.0' }),
  WHATSAPP_API_BASE_URL: url(['http:', 'https:'], 'the Graph API base URL').transform((v) => (v ?? 'https://graph.facebook.com').replace(/\/+$/, '')),
  // Templates for proactive messages outside the 24-hour window: "name" or "name:language" (default id).
  WHATSAPP_TEMPLATE_REMINDER: template,
  WHATSAPP_TEMPLATE_WORKSHOP: template,
  WHATSAPP_TEMPLATE_BROADCAST: template,
  WHATSAPP_TEMPLATE_ALERT: template,
  WHATSAPP_TEMPLATE_NOTICE: template,
  SIMULATOR: z
    .enum(['auto', 'on', 'off'], { message: 'expects auto, on or off' })
    .optional()
    .default('auto'),
  // Facilitator features (src/facilitator, src/schedule): all local times are in TIMEZONE.
  QUIET_HOURS: optionalString.transform((v, ctx) => {
    if (v === undefined) return parseQuietHours('21:00-06:00');
    if (v === 'off') return null;
    const q = parseQuietHours(v);
    if (!q) ctx.addIssue({ code: 'custom', message: `expects a local time span like 21:00-06:00, or off, got "${v}"` });
    return q ?? z.NEVER;
  }),
  WORKSHOP_REMINDER_EVE: clockTime('16:00'),
  WORKSHOP_REMINDER_MORNING: clockTime('07:00'),
  PLAN_REMINDER_DAYS: optionalString.transform((v, ctx) => {
    if (v === undefined) return [30, 14, 7, 1];
    const days = v.split(',').map((d) => Number(d.trim()));
    if (days.some((d) => !Number.isInteger(d) || d < 1 || d > 365)) {
      ctx.addIssue({ code: 'custom', message: `expects days before the plan update, comma-separated (e.g. 30,14,7,1), got "${v}"` });
      return z.NEVER;
    }
    return [...new Set(days)].sort((a, b) => b - a);
  }),
  PLAN_REMINDER_TIME: clockTime('08:00'),
  ALERT_DIGEST_MINUTES: positiveNumber(15, 'minutes within which alerts to one facilitator are batched'),
  // 0 sends each report's alert at once (no grouping into one incident alert).
  ALERT_INCIDENT_HOLD_MINUTES: z.string().optional().transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return 120;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 24 * 60) {
      ctx.addIssue({ code: 'custom', message: `expects minutes a risk report's alert waits for others of its incident (0-1440), got "${v}"` });
      return z.NEVER;
    }
    return n;
  }),
  // The workspace (src/workspace): sign-in links sent in chat point at PUBLIC_BASE_URL.
  PUBLIC_BASE_URL: url(['http:', 'https:'], 'the address people open the workspace at, like https://suaradesa.example.org'),
  MAP_TILE_URL: optionalString.refine((v) => v === undefined || /^https:\/\/[^\s]+\{z\}[^\s]*\{x\}[^\s]*\{y\}/.test(v), {
    message: 'expects an https tile URL template with {z}, {x} and {y}, like https://tile.openstreetmap.org/{z}/{x}/{y}.png',
  }),
});

export type Config = z.output<typeof schema> & {
  /** True when the web chat simulator is served (SIMULATOR=on, or auto with no platform token outside production). */
  simulatorEnabled: boolean;
  /**
   * True when the simulator may hand out its Pokja and facilitator codes: only where no real
   * channel (Telegram, WhatsApp) is configured. Elsewhere those codes are deleted at start.
   */
  simulatorRoleCodes: boolean;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses an environment (process.env by default). Throws ConfigError with one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const config = result.data;
  if (config.TELEGRAM_WEBHOOK_URL && !config.TELEGRAM_WEBHOOK_SECRET) {
    throw new ConfigError(
      'Invalid configuration: TELEGRAM_WEBHOOK_SECRET must be set when TELEGRAM_WEBHOOK_URL is (Telegram signs webhook calls with it)',
    );
  }
  if (config.WHATSAPP_ACCESS_TOKEN) {
    const missing = (['WHATSAPP_APP_SECRET', 'WHATSAPP_PHONE_NUMBER_ID'] as const).filter((name) => !config[name]);
    if (missing.length > 0) {
      throw new ConfigError(
        `Invalid configuration: ${missing.join(' and ')} must be set when WHATSAPP_ACCESS_TOKEN is (the app secret verifies every webhook call; the phone number id is where messages are sent from)`,
      );
    }
  }
  const anyPlatform = config.TELEGRAM_BOT_TOKEN !== undefined || config.WHATSAPP_ACCESS_TOKEN !== undefined;
  // The simulator has no login: never on by itself in production.
  const simulatorEnabled = config.SIMULATOR === 'on' || (config.SIMULATOR === 'auto' && !anyPlatform && config.NODE_ENV !== 'production');
  return { ...config, simulatorEnabled, simulatorRoleCodes: simulatorEnabled && !anyPlatform };
}
