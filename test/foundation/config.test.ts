import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('configuration', () => {
  it('has working defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATA_DIR).toBe('./data');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.MONGODB_URI).toBeUndefined();
    expect(config.TIMEZONE).toBe('Asia/Jayapura');
    expect(config.RUN_EXPIRY_HOURS).toBe(168);
    expect(config.TELEGRAM_API_ROOT).toBe('https://api.telegram.org');
    expect(config.simulatorEnabled).toBe(true);
  });

  it('reads and converts given values', () => {
    const config = loadConfig({
      PORT: '8080',
      MONGODB_URI: 'mongodb+srv://user:pw@cluster0.example.net/suaradesa',
      LOG_LEVEL: 'DEBUG',
      DATA_DIR: '/var/lib/suaradesa',
      TELEGRAM_BOT_TOKEN: '123456:ABC-def_ghi',
    });
    expect(config.PORT).toBe(8080);
    expect(config.LOG_LEVEL).toBe('debug');
    expect(config.DATA_DIR).toBe('/var/lib/suaradesa');
    expect(config.simulatorEnabled).toBe(false);
  });

  it('never serves the simulator by itself in production', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).simulatorEnabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', SIMULATOR: 'on' }).simulatorEnabled).toBe(true);
    expect(loadConfig({ SIMULATOR: 'off' }).simulatorEnabled).toBe(false);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', MONGODB_URI: '  ' }).PORT).toBe(3000);
  });

  it.each([
    [{ PORT: 'abc' }, /^Invalid configuration: PORT expects a port number 0-65535, got "abc"$/],
    [{ PORT: '70000' }, /PORT expects a port number/],
    [{ MONGODB_URI: 'localhost:27017' }, /MONGODB_URI expects a MongoDB connection string/],
    [{ MONGODB_URI: 'http://localhost:27017' }, /MONGODB_URI expects a MongoDB connection string .*"http:"/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL expects one of fatal, error, warn, info/],
    [{ TIMEZONE: 'Mars/Olympus' }, /TIMEZONE expects an IANA time zone/],
    [{ TELEGRAM_BOT_TOKEN: 'not a token' }, /TELEGRAM_BOT_TOKEN expects a bot token/],
    [{ TELEGRAM_WEBHOOK_SECRET: 'has spaces' }, /TELEGRAM_WEBHOOK_SECRET expects 1-256 characters/],
    [{ TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/telegram/webhook' }, /TELEGRAM_WEBHOOK_SECRET must be set/],
    [{ RUN_EXPIRY_HOURS: '-1' }, /RUN_EXPIRY_HOURS expects hours/],
  ])('rejects %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
    try {
      loadConfig(env);
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('the database watchdog: 10 s and reconnect by default; exit on request; a wrong value named', () => {
    expect(loadConfig({})).toMatchObject({ DATABASE_STUCK_SECONDS: 10, DATABASE_STUCK_ACTION: 'reconnect' });
    expect(loadConfig({ DATABASE_STUCK_SECONDS: '30', DATABASE_STUCK_ACTION: 'exit' })).toMatchObject({ DATABASE_STUCK_SECONDS: 30, DATABASE_STUCK_ACTION: 'exit' });
    expect(() => loadConfig({ DATABASE_STUCK_ACTION: 'restart', DATABASE_STUCK_SECONDS: '0' })).toThrow(/DATABASE_STUCK_SECONDS .*; DATABASE_STUCK_ACTION expects reconnect or exit/);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT .*; LOG_LEVEL /);
  });
});
