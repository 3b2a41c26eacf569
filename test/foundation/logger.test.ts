import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrub } from '../../src/logging/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), output: () => lines.join('') };
}

describe('logging', () => {
  it('redacts secret and personal fields by name', () => {
    const { logger, output } = capture();
    logger.info({ token: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', member: { phone: '6281234567890', platformUserId: '6281234567890' } }, 'hello');
    expect(output()).not.toContain('6281234567890');
    expect(output()).not.toContain('AAAAAAAA');
    expect(output()).toContain('[redacted]');
  });

  it('scrubs phone numbers, bot tokens and credentials from messages and errors', () => {
    const { logger, output } = capture();
    logger.info('Message from +6281234567890 via https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage');
    logger.error({ err: new Error('failed for 081234567890 at mongodb://admin:hunter2@db:27017/x') }, 'oops');
    const text = output();
    expect(text).not.toMatch(/6281234567890|081234567890|AAHdqTcv|hunter2/);
    expect(text).toContain('[phone]');
    expect(text).toContain('[bot-token]');
  });

  it('leaves ordinary numbers alone', () => {
    expect(scrub('1399 people affected, Rp105000/kg, update 1795810780')).toBe('1399 people affected, Rp105000/kg, update 1795810780');
  });
});
