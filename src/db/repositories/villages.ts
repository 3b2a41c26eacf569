/** Villages: the 40 of the programme area (index { code } unique, models/village.ts). */
import { VillageModel } from '../models.js';

export interface VillageChoice {
  code: string;
  name: string;
  kecamatan: string;
  aliases: string[];
}

/** Every village, by kecamatan and name: what flows offer as choices. */
export async function listVillageChoices(): Promise<VillageChoice[]> {
  const docs = await VillageModel.collection
    .find({}, { projection: { code: 1, name: 1, kecamatan: 1, aliases: 1 }, sort: { kecamatan: 1, name: 1 } })
    .toArray();
  return docs.map((v) => ({ code: String(v.code), name: String(v.name), kecamatan: String(v.kecamatan), aliases: (v.aliases as string[] | undefined) ?? [] }));
}

export async function findVillage(code: string): Promise<{ code: string; name: string; kecamatan: string } | null> {
  const v = await VillageModel.findOne({ code }, { code: 1, name: 1, kecamatan: 1 }).lean();
  return v ? { code: v.code, name: v.name, kecamatan: v.kecamatan } : null;
}
