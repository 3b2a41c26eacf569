/** Absolute paths to the project's data folders, the same whether run from src/ (tsx) or dist/ (node). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${start}`);
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)));
export const flowsDir = join(projectRoot, 'flows');
export const localesDir = join(projectRoot, 'locales');
export const seedDataDir = join(projectRoot, 'data-seed');
export const standInDir = join(projectRoot, 'tools', 'mongo-standin');
export const standInLibDir = join(projectRoot, '.cache', 'mongo-standin', 'lib');

/** DATA_DIR is relative to the project root unless absolute. */
export function resolveDataDir(dataDir: string): string {
  return resolve(projectRoot, dataDir);
}
