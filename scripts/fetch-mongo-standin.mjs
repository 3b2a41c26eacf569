#!/usr/bin/env node
// Fetches the jars of the local MongoDB stand-in (mongo-java-server) from Maven Central
// into .cache/mongo-standin/lib. Run by `npm install` (with --if-possible: a machine
// without Maven, such as the Docker image, just skips it) and on demand by the launcher.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const libDir = join(root, '.cache', 'mongo-standin', 'lib');
const ifPossible = process.argv.includes('--if-possible');

const alreadyThere = existsSync(libDir) && readdirSync(libDir).some((f) => f.startsWith('mongo-java-server-core'));
if (alreadyThere) process.exit(0);

const hasMaven = spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status === 0;
if (!hasMaven) {
  const message = 'Maven (mvn) not found: the local MongoDB stand-in is not fetched. Set MONGODB_URI, or install Java 17 and Maven.';
  if (ifPossible) {
    console.log(message);
    process.exit(0);
  }
  console.error(message);
  process.exit(1);
}

console.log('Fetching the local MongoDB stand-in (mongo-java-server) from Maven Central...');
const result = spawnSync(
  'mvn',
  ['-q', '-B', '-f', join(root, 'tools', 'mongo-standin', 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${libDir}`],
  { stdio: 'inherit' },
);
if (result.status !== 0) {
  console.error('Fetching the MongoDB stand-in failed.');
  process.exit(ifPossible ? 0 : 1);
}
