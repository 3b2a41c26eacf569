/** The engine tests run from any clone: they read only files inside the repository. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, VILLAGES_FILE, villages } from './helpers.js';

const HERE = path.join(ROOT, 'test', 'engine');

describe('engine tests read only the repository', () => {
  it('names no absolute path outside the repository', () => {
    for (const file of readdirSync(HERE).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(path.join(HERE, file), 'utf8');
      // A quoted absolute path (under work, home, tmp...) would tie the tests to one machine.
      expect(text, file).not.toMatch(/['"`]\/(?:work|home|tmp|srv|opt|mnt|Users)\//);
    }
  });

  it('takes the village list from data-seed/ in the repository', () => {
    expect(path.relative(ROOT, VILLAGES_FILE)).toBe(path.join('data-seed', 'villages-sbt.csv'));
    const list = villages();
    expect(list).toHaveLength(40);
    expect(new Set(list.map((v) => v.kecamatan))).toEqual(new Set(['Teluk Waru', 'Gorom Timur', 'Pulau Panjang']));
    expect(list.find((v) => v.name === 'Ruku Ruku')?.aliases).toEqual(['Rukuruku']);
  });
});
