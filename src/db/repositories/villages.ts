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

/** Every village code, sorted. */
export async function listVillageCodes(): Promise<string[]> {
  return (await VillageModel.find({}, { code: 1 }).sort({ code: 1 }).lean()).map((v) => v.code);
}

/** The codes of the villages in these kecamatan (no index: 40 villages). */
export async function villageCodesInKecamatan(kecamatan: string[]): Promise<string[]> {
  return (await VillageModel.find({ kecamatan: { $in: kecamatan } }, { code: 1 }).lean()).map((v) => v.code);
}

/** Village names by code. */
export async function villageNamesByCode(codes: string[]): Promise<Map<string, string>> {
  const rows = await VillageModel.find({ code: { $in: codes } }, { code: 1, name: 1 }).lean();
  return new Map(rows.map((v) => [v.code, v.name]));
}
