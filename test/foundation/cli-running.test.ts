/**
 * `npm run access-code` and `npm run admin` while `npm start` runs: the embedded database's
 * files are locked by the service, so the tools use the service's database through the
 * address it publishes in DATA_DIR; with no service running they start their own. A data
 * folder inside the repository (test-artifacts/), removed afterwards.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNNING_DATABASE_FILE } from '../../src/db/connection.js';
import { freePort } from '../../src/db/local-server.js';
import { projectRoot } from '../../src/paths.js';

const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');
const dataDir = join(projectRoot, 'test-artifacts', `cli-running-${randomUUID().slice(0, 8)}`);
mkdirSync(dataDir, { recursive: true });
const published = join(dataDir, RUNNING_DATABASE_FILE);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const runDir = join(dataDir, 'run');

/** `null` leaves a variable unset (a tool run with no DATA_DIR of its own). */
function env(extra: Record<string, string | null> = {}): NodeJS.ProcessEnv {
  const all: Record<string, string | null | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', SUARA_DESA_RUN_DIR: runDir, ...extra };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** `npm start`, resolved once its HTTP server listens (the log line with the port). */
async function startService(extra: Record<string, string> = {}) {
  const child = spawn(tsx, ['src/main.ts'], { cwd: projectRoot, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      logs.push(line);
      if (typeof (JSON.parse(line) as { port?: unknown }).port === 'number') resolve();
    });
    child.once('exit', (code) => reject(new Error(`service exited ${code}: ${logs.join('\n')}`)));
  });
  return {
    pid: child.pid,
    stop: () => new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    }),
  };
}

function run(script: string, args: string[], extra: Record<string, string | null> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [script, ...args], { cwd: projectRoot, env: env({ LOG_LEVEL: 'warn', ...extra }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('command-line tools beside a running service', () => {
  it('access-code and admin use the running service\'s database; without a service they start their own', async () => {
    const service = await startService();
    let stopped = false;
    try {
      const made = await run('src/cli/access-code.ts', ['pokja', '--village', '81.05.15.2004', '--days', '10']);
      expect(made.stderr).toBe('');
      expect(made.code).toBe(0);
      const code = /pokja code: ([A-Z0-9]{6})/.exec(made.stdout)?.[1];
      expect(code).toBeDefined();

      const link = await run('src/cli/admin.ts', ['link', '--name', 'Koordinator']);
      expect(link.stderr).toBe('');
      expect(link.code).toBe(0);
      expect(link.stdout).toMatch(/Sign-in link[^\n]*\nhttp:\/\/localhost:\d+\/masuk\/\S+/);

      // The address the service published while running; both wrote into that database.
      const entry = JSON.parse(readFileSync(published, 'utf8')) as { uri: string; pid: number };
      expect(entry.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/suaradesa$/);
      await mongoose.connect(entry.uri, { serverSelectionTimeoutMS: 5_000 });
      const db = mongoose.connection.db!;
      expect(await db.collection('accesscodes').countDocuments({ code, role: 'pokja', villageCode: '81.05.15.2004' })).toBe(1);
      expect(await db.collection('members').countDocuments({ role: 'admin', name: 'Koordinator' })).toBe(1);
      await mongoose.disconnect();

      expect(await service.stop()).toBe(0);
      stopped = true;
      // Stopped: the address is gone, and the tool starts a database of its own on the same files.
      expect(existsSync(published)).toBe(false);
      const alone = await run('src/cli/access-code.ts', ['fasilitator']);
      expect(alone.stderr).toBe('');
      expect(alone.code).toBe(0);
      expect(alone.stdout).toMatch(/fasilitator code: [A-Z0-9]{6}/);
      // A stale address (a service killed without stopping) is not trusted.
      writeFileSync(published, JSON.stringify({ uri: entry.uri, pid: 2 ** 22 + 17, kind: 'mongo-java-server', startedAt: new Date().toISOString() }));
      const stale = await run('src/cli/admin.ts', ['link']);
      expect(stale.stderr).toBe('');
      expect(stale.code).toBe(0);
    } finally {
      if (!stopped) await service.stop();
    }
  }, 240_000);

  it('beside a service started with another DATA_DIR and PORT: found without DATA_DIR, links at its port; with a DATA_DIR of their own they say it is not the running one (issue 18.6)', async () => {
    const serviceDir = join(dataDir, 'elsewhere');
    const port = await freePort();
    const service = await startService({ DATA_DIR: serviceDir, PORT: String(port) });
    try {
      // As the README says it, from the repository, with no DATA_DIR.
      const made = await run('src/cli/access-code.ts', ['pokja', '--village', '81.05.15.2004'], { DATA_DIR: null });
      expect(made.stderr).toBe('');
      expect(made.code).toBe(0);
      expect(made.stdout).toContain(`Using the database of the running service (DATA_DIR=${serviceDir}, http://localhost:${port})`);
      const code = /pokja code: ([A-Z0-9]{6})/.exec(made.stdout)?.[1];
      const link = await run('src/cli/admin.ts', ['link'], { DATA_DIR: null });
      expect(link.code).toBe(0);
      expect(link.stdout).toMatch(new RegExp(`\nhttp://localhost:${port}/masuk/\\S+`));
      const entry = JSON.parse(readFileSync(join(serviceDir, RUNNING_DATABASE_FILE), 'utf8')) as { uri: string };
      await mongoose.connect(entry.uri, { serverSelectionTimeoutMS: 5_000 });
      expect(await mongoose.connection.db!.collection('accesscodes').countDocuments({ code })).toBe(1);
      await mongoose.disconnect();
      // A DATA_DIR of its own: its own database, and it says plainly that it is not the service's.
      const own = await run('src/cli/access-code.ts', ['fasilitator'], { DATA_DIR: join(dataDir, 'own') });
      expect(own.code).toBe(0);
      expect(own.stdout).toContain(`Used the database in ${join(dataDir, 'own')}: this is NOT the database of the running service (DATA_DIR=${serviceDir}, http://localhost:${port})`);
    } finally {
      await service.stop();
    }
    expect(existsSync(join(runDir, `${service.pid}.json`))).toBe(false);
  }, 240_000);
});
