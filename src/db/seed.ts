/**
 * Loads the villages of Teluk Waru, Gorom Timur and Pulau Panjang (Kemendagri codes) from
 * data-seed/villages-sbt.csv. Idempotent: existing villages are left untouched, so staff
 * edits (assisted flag, plan update date) survive a re-run.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { VillageModel } from './models.js';
import { seedDataDir } from '../paths.js';

interface VillageRow {
  kode: string;
  nama: string;
  kecamatan_kode: string;
  kecamatan: string;
  kabupaten: string;
  alias: string;
}

export async function readVillageSeed(file = join(seedDataDir, 'villages-sbt.csv')) {
  const rows = parse(await readFile(file, 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as VillageRow[];
  return rows.map((row) => ({
    code: row.kode,
    name: row.nama,
    kecamatan: row.kecamatan,
    kecamatanCode: row.kecamatan_kode,
    kabupaten: row.kabupaten,
    aliases: row.alias ? row.alias.split(';').map((a) => a.trim()).filter(Boolean) : [],
  }));
}

/** Returns how many villages were inserted (0 on a re-run). */
export async function seedVillages(): Promise<{ inserted: number; total: number }> {
  const villages = await readVillageSeed();
  const result = await VillageModel.bulkWrite(
    villages.map((village) => ({
      updateOne: { filter: { code: village.code }, update: { $setOnInsert: village }, upsert: true },
    })),
    { ordered: false },
  );
  return { inserted: result.upsertedCount, total: villages.length };
}
