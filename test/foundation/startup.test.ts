/**
 * `npm start` as a newcomer runs it: no environment at all, a local database started for
 * it, villages seeded once across restarts; and a bad setting stops it with one line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';

const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');
const dataDir = mkdtempSync(join(tmpdir(), 'suaradesa-start-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Environment with nothing of ours in it, as on a fresh machine. */
function bareEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, ...extra };
}

interface Started {
  logs: { msg: string; [k: string]: unknown }[];
  port: number;
  stop(): Promise<number | null>;
}

async function start(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(tsx, ['src/main.ts'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Started['logs'] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${JSON.stringify(logs)}`)), 90_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as Started['logs'][number];
      logs.push(entry);
      if (typeof entry.port === 'number') {
        clearTimeout(timer);
        resolve(entry.port);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${JSON.stringify(logs)}`)));
  });
  return {
    logs,
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

function runToExit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, ['src/main.ts'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.once('exit', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('npm start on a fresh machine', () => {
  it('starts a local database, is ready, and seeds the villages exactly once across two starts', async () => {
    for (const round of [1, 2]) {
      const service = await start(bareEnv({ PORT: '0' }));
      const startedDb = service.logs.find((l) => l.database);
      expect(startedDb?.msg).toMatch(/Started local database \((mongod|mongo-java-server)\) at mongodb:\/\/127\.0\.0\.1:\d+\/suaradesa .*data in /);
      expect(String(startedDb?.dataPath)).toContain(dataDir);
      const ready = await fetch(`http://127.0.0.1:${service.port}/readyz`);
      expect(ready.status).toBe(200);
      // (Twice under heavy load 143 were reported inserted in the second round, cause unknown: the log says what the service saw.)
      expect(service.logs.find((l) => 'inserted' in l)?.inserted, JSON.stringify(service.logs)).toBe(round === 1 ? 40 : 0);
      expect(await service.stop()).toBe(0);
    }
  }, 180_000);

  it.each([
    [{ PORT: 'abc' }, 'Invalid configuration: PORT expects a port number 0-65535, got "abc"'],
    [{ MONGODB_URI: 'not-a-uri' }, 'Invalid configuration: MONGODB_URI expects a MongoDB connection string'],
  ])('stops with one clear line for %o', async (env, line) => {
    const result = await runToExit(bareEnv(env));
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(line);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('stops with one clear line when MONGODB_URI points at nothing', async () => {
    const result = await runToExit(bareEnv({ MONGODB_URI: 'mongodb://127.0.0.1:1/suaradesa' }));
    expect(result.code).toBe(1);
    const entries = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
    const fatal = entries.filter((e) => e.level >= 50);
    expect(fatal).toHaveLength(1);
    expect(result.stdout).not.toMatch(/\n\s+at /);
    expect(result.stderr).toBe('');
    expect(fatal[0]!.msg).toMatch(/^Cannot reach MongoDB at 127\.0\.0\.1:1: .*Check MONGODB_URI\.$/);
  });

});
