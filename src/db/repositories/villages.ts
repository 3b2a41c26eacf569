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

/** What an admin may change of a village, as it is now (the audit log keeps the values before a change). */
export async function findVillageSettings(code: string): Promise<{ assisted: boolean; planUpdateDate: Date | null } | null> {
  const v = await VillageModel.findOne({ code }, { assisted: 1, planUpdateDate: 1 }).lean();
  return v ? { assisted: v.assisted, planUpdateDate: v.planUpdateDate ?? null } : null;
}

/** Which of these codes are villages. */
export async function knownVillageCodes(codes: string[]): Promise<string[]> {
  return (await VillageModel.find({ code: { $in: codes } }, { code: 1 }).lean()).map((v) => v.code);
}

/** The village codes of a kecamatan (index { kecamatanCode }). */
export async function villageCodesOfKecamatan(kecamatanCode: string): Promise<string[]> {
  return (await VillageModel.find({ kecamatanCode }, { code: 1 }).lean()).map((v) => v.code);
}

/** Every village code, sorted. */
export async function listVillageCodes(): Promise<string[]> {
  return (await VillageModel.find({}, { code: 1 }).sort({ code: 1 }).lean()).map((v) => v.code);
}

/** Village names by code. */
export async function villageNamesByCode(codes: string[]): Promise<Map<string, string>> {
  const rows = await VillageModel.find({ code: { $in: codes } }, { code: 1, name: 1 }).lean();
  return new Map(rows.map((v) => [v.code, v.name]));
}

/* ---- Plan-update dates (no index: 40 villages) ---- */

/** Villages never given a plan-update date (nor cleared by staff). */
export async function findVillagesWithoutPlanUpdateDate(): Promise<{ _id: unknown; code: string; assisted?: boolean | null }[]> {
  return VillageModel.find({ planUpdateDate: null, planUpdateSeededAt: null }, { code: 1, assisted: 1 }).lean();
}

/** Gives the village its first date (or none), once: false when it had one meanwhile. */
export async function seedPlanUpdateDate(id: unknown, date: Date | null, now: Date): Promise<boolean> {
  const res = await VillageModel.updateOne({ _id: id, planUpdateDate: null, planUpdateSeededAt: null }, { $set: { planUpdateDate: date, planUpdateSeededAt: now } });
  return res.modifiedCount > 0;
}

/** Sets (or clears) a village's plan-update date; false when there is no such village. */
export async function setVillagePlanUpdateDate(code: string, date: Date | null, now: Date): Promise<boolean> {
  return (await VillageModel.updateOne({ code }, { $set: { planUpdateDate: date, planUpdateSeededAt: now } })).matchedCount === 1;
}

/** Villages whose plan-update date is set and not after `until`. */
export async function findVillagesWithPlanUpdateBy(until: Date): Promise<{ _id: unknown; code: string; name: string; planUpdateDate?: Date | null }[]> {
  return VillageModel.find({ planUpdateDate: { $ne: null, $lte: until } }, { code: 1, name: 1, planUpdateDate: 1 }).lean();
}

/** Moves the date on, unless someone has set another since `current` was read. */
export async function movePlanUpdateDate(id: unknown, current: Date | null | undefined, next: Date): Promise<void> {
  await VillageModel.updateOne({ _id: id, planUpdateDate: current }, { $set: { planUpdateDate: next } });
}
