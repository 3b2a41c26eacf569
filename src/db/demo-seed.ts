/**
 * `npm run seed -- --demo`: a populated workspace for a newcomer on the embedded database:
 * 15 villages (five per kecamatan) marked assisted, their plans, members, profile answers,
 * risk reports with places on the map, activity progress and workshops. Everything is marked
 * as demo (`demo: true`, members "demo:<n>" on the web channel, names ending in "(contoh)")
 * and `--demo --remove` takes exactly that away again.
 *
 * Safe to run again and beside real data: an earlier demo is removed first; a village that
 * already has a real plan for the year keeps it (its demo plan and activity progress are
 * skipped, and the result says so); nothing real is changed except the "assisted" flag of a
 * village that had none (remembered, and put back on removal). All or nothing in effect, with
 * no transactions: every write carries the demo mark, and a failure midway removes everything
 * marked before the error is reported. A run killed midway leaves the mark `demo-seed: writing`,
 * so the next run (or `--remove`) clears it first.
 */
import { Types } from 'mongoose';
import {
  FacilitatorAssignmentModel, MemberModel, SubmissionModel, VillageModel, VillagePlanModel, WorkshopModel, WorkspaceSettingModel,
} from './models.js';
import { DEFAULT_TIME_ZONE, localDay } from '../time/index.js';

const DEMO_PREFIX = 'demo:';
const PER_KECAMATAN = 5;
/** Rough centres for the map (no village outlines are published): Teluk Waru, Gorom Timur, Pulau Panjang. */
const CENTRES: Record<string, [number, number]> = { '81.05.15': [-3.27, 130.5], '81.05.11': [-4.03, 131.37], '81.05.09': [-3.93, 131.07] };

const FIRST = ['Abdul', 'Siti', 'Hasan', 'Nurlela', 'Yusuf', 'Fatima', 'Ismail', 'Halima', 'Rahman', 'Saadia', 'La Ode', 'Wa Ode', 'Umar', 'Aisa', 'Salim', 'Mariam'];
const LAST = ['Rumakat', 'Rumalutur', 'Kelian', 'Wattimena', 'Rumagia', 'Kilwarany', 'Rumbia', 'Keliobas', 'Rumfot', 'Tianotak'];
const RISKS = ['banjir', 'rob', 'gelombang', 'gelombang', 'kekeringan', 'cuaca', 'harga_turun', 'harga_turun', 'hama', 'gagal_panen', 'kapal_bbm'];
const HELP = ['Terpal dan beras untuk keluarga yang rumahnya rusak', 'Bibit cengkeh pengganti', 'Perbaikan talud pantai', 'Harga kopra yang adil dari pengumpul', 'Obat hama untuk kebun pala'];
const PLAN = {
  goals: ['Pendapatan nelayan dan petani naik', 'Air bersih cukup sepanjang tahun'],
  challenges: ['Harga cengkeh dan kopra turun saat panen', 'Kapal hanya singgah dua kali seminggu'],
  activities: [
    ['Pelatihan pengolahan ikan asin', 'Pokja perikanan'],
    ['Tempat jemur kopra bersama', 'Kelompok tani kelapa'],
    ['Kelompok simpan pinjam perempuan', 'Kelompok perempuan'],
    ['Penampungan air hujan di sekolah', 'Pemerintah negeri'],
  ],
};

/** Deterministic pseudo-random numbers, so the demo looks the same each time. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** Removes everything marked demo (also the remains of a run that stopped halfway). */
export async function removeDemo(): Promise<{ members: number; submissions: number; plans: number; workshops: number }> {
  const members = await MemberModel.find({ platformUserId: { $regex: `^${DEMO_PREFIX}` } }, { _id: 1 }).lean();
  const ids = members.map((m) => m._id);
  await FacilitatorAssignmentModel.deleteMany({ memberId: { $in: ids } });
  const [s, p, w, m] = await Promise.all([
    SubmissionModel.deleteMany({ demo: true }),
    VillagePlanModel.deleteMany({ demo: true }),
    WorkshopModel.deleteMany({ demo: true }),
    MemberModel.deleteMany({ _id: { $in: ids } }),
  ]);
  const marked = await WorkspaceSettingModel.findById('demo-assisted').lean();
  if (marked) {
    await VillageModel.updateMany({ code: { $in: JSON.parse(marked.value) as string[] } }, { $set: { assisted: false } });
    await WorkspaceSettingModel.deleteOne({ _id: 'demo-assisted' });
  }
  await WorkspaceSettingModel.deleteOne({ _id: PROGRESS });
  return { members: m.deletedCount, submissions: s.deletedCount, plans: p.deletedCount, workshops: w.deletedCount };
}

export interface DemoResult {
  villages: number;
  members: number;
  submissions: number;
  facilitatorIds: string[];
  /** Villages whose real plan for the year was kept (no demo plan, no demo progress for them). */
  keptPlans: { code: string; name: string; year: number }[];
  /** True when an earlier run had stopped halfway and its remains were cleared first. */
  clearedHalf: boolean;
}

export class DemoSeedError extends Error {
  override name = 'DemoSeedError';
}

const PROGRESS = 'demo-seed';

export async function seedDemo(now = new Date(), hooks: { onVillage?: (code: string) => Promise<void> } = {}): Promise<DemoResult> {
  const clearedHalf = (await WorkspaceSettingModel.findById(PROGRESS).lean())?.value === 'writing';
  await removeDemo();
  await WorkspaceSettingModel.updateOne({ _id: PROGRESS }, { $set: { value: 'writing' } }, { upsert: true });
  try {
    const result = await writeDemo(now, hooks);
    await WorkspaceSettingModel.deleteOne({ _id: PROGRESS });
    return { ...result, clearedHalf };
  } catch (err) {
    await removeDemo();
    throw new DemoSeedError(`The demo could not be loaded (${(err as Error).message}); what had been written of it was removed again, your own data is untouched.`);
  }
}

async function writeDemo(now: Date, hooks: { onVillage?: (code: string) => Promise<void> }): Promise<Omit<DemoResult, 'clearedHalf'>> {
  const random = rng(20240917);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const villages = await VillageModel.find({}, { code: 1, name: 1, kecamatanCode: 1, assisted: 1 }).sort({ code: 1 }).lean();
  const chosen = Object.keys(CENTRES).flatMap((kc) => villages.filter((v) => v.kecamatanCode === kc).slice(0, PER_KECAMATAN));
  const year = now.getUTCFullYear();
  // Real plans (a plan import) are never overwritten: their villages get no demo plan.
  const realPlans = await VillagePlanModel.find({ villageCode: { $in: chosen.map((v) => v.code) }, year, demo: { $ne: true } }, { villageCode: 1 }).lean();
  const kept = new Set(realPlans.map((p) => p.villageCode));
  const newlyAssisted = chosen.filter((v) => !v.assisted).map((v) => v.code);
  await VillageModel.updateMany({ code: { $in: newlyAssisted } }, { $set: { assisted: true } });
  await WorkspaceSettingModel.updateOne({ _id: 'demo-assisted' }, { $set: { value: JSON.stringify(newlyAssisted) } }, { upsert: true });

  let n = 0;
  const person = (role: string, villageCode: string | null) => ({
    channel: 'web', platformUserId: `${DEMO_PREFIX}${++n}`, name: `${pick(FIRST)} ${pick(LAST)} (contoh)`, role, villageCode, language: 'id',
    consent: { version: 'demo', givenAt: now }, registeredAt: new Date(now.getTime() - Math.floor(random() * 300) * 86_400_000),
  });
  const submissions: Record<string, unknown>[] = [];
  const facilitatorIds: string[] = [];
  const submission = (memberId: Types.ObjectId, villageCode: string, flowId: string, answers: Record<string, unknown>, at: Date, review?: string) => submissions.push({
    runId: new Types.ObjectId(), memberId, villageCode, flowId, flowVersion: 1, channel: 'web', answers, submittedAt: at, demo: true, language: 'id',
    review: { status: review ?? 'baru', notes: [] },
  });

  for (const kc of Object.keys(CENTRES)) {
    const inKec = chosen.filter((v) => v.kecamatanCode === kc);
    const [fac] = await MemberModel.insertMany([person('fasilitator', inKec[0]?.code ?? null)]);
    facilitatorIds.push(String(fac!._id));
    await FacilitatorAssignmentModel.updateOne({ memberId: fac!._id }, { $set: { villageCodes: inKec.map((v) => v.code) } }, { upsert: true });
    const [lat0, lng0] = CENTRES[kc]!;
    for (const [vi, v] of inKec.entries()) {
      await hooks.onVillage?.(v.code);
      const people = await MemberModel.insertMany([
        ...Array.from({ length: 2 }, () => person('pokja', v.code)),
        ...Array.from({ length: 6 + Math.floor(random() * 6) }, () => person('warga', v.code)),
      ]);
      const pokja = people.filter((p) => p.role === 'pokja');
      const warga = people.filter((p) => p.role === 'warga');
      const plan = kept.has(v.code) ? null : await VillagePlanModel.create({
        villageCode: v.code, year, demo: true,
        goals: PLAN.goals.map((title) => ({ title })), challenges: PLAN.challenges.map((title) => ({ title })),
        activities: PLAN.activities.map(([title, owner], i) => ({
          title, owner, targetDate: new Date(Date.UTC(year, 5 + i * 2, 28)),
          status: (['berjalan', 'selesai', 'belum', 'terhambat'] as const)[(i + vi) % 4], percentDone: [40, 100, 0, 25][(i + vi) % 4],
        })),
      });
      // Village centre: spread the villages of a kecamatan around its centre.
      const vlat = lat0 + Math.cos(vi * 1.3) * 0.06;
      const vlng = lng0 + Math.sin(vi * 1.3) * 0.08;
      for (const [yi, when] of [new Date(Date.UTC(year - 1, 8, 20)), new Date(Date.UTC(year, Math.min(now.getUTCMonth(), 7), 10))].entries()) {
        if (when > now) continue;
        submission(pick(warga)._id, v.code, 'profil-desa', {
          households: 120 + vi * 15 + yi * 4, school: pick(['sd', 'smp']), health: pick(['pustu', 'posyandu']),
          sources: [{ source: 'perikanan', season: 'musim_teduh', share: 'banyak' }, { source: pick(['cengkeh', 'pala', 'kopra']), season: 'musim_panen', share: 'setengah' }],
          land: pick(['banyak', 'sedikit']), boats: 20 + vi * 3 + yi * 2, road: pick(['baik', 'rusak', 'laut']), services: ['listrik', ...(yi ? ['sinyal'] : [])],
          savings_group: yi === 1, buyer: pick(['pengumpul_desa', 'pasar_kecamatan']),
        }, when);
      }
      const reports = 5 + Math.floor(random() * 6);
      for (let r = 0; r < reports; r++) {
        const at = new Date(now.getTime() - Math.floor(random() * 330 + 1) * 86_400_000);
        const withPlace = random() < 0.7;
        submission(pick(warga)._id, v.code, 'laporan-risiko', {
          type: pick(RISKS), date: localDay(at, DEFAULT_TIME_ZONE), place: `Dusun ${pick(['Kota', 'Pantai', 'Atas', 'Baru'])}`,
          ...(withPlace ? { location: { latitude: +(vlat + (random() - 0.5) * 0.03).toFixed(5), longitude: +(vlng + (random() - 0.5) * 0.03).toFixed(5) } } : {}),
          severity: pick(['ringan', 'sedang', 'berat']), households: Math.floor(random() * 40), livelihoods: [pick(['perikanan', 'cengkeh', 'pala', 'kopra'])],
          ...(random() < 0.4 ? { help: pick(HELP) } : {}),
        }, at, pick(['baru', 'baru', 'diverifikasi', 'ditindaklanjuti', 'selesai']));
      }
      for (const a of plan?.activities.slice(0, 2) ?? []) {
        submission(pick(pokja)._id, v.code, 'kemajuan-kegiatan', { activity: String(a._id), status: a.status, ...(a.status === 'berjalan' ? { percent: a.percentDone } : {}), next_step: 'Rapat kelompok bulan depan' },
          new Date(now.getTime() - Math.floor(random() * 60) * 86_400_000));
      }
    }
    await WorkshopModel.create({
      title: `Pemutakhiran rencana ${year - 1} (contoh)`, villageCodes: inKec.map((v) => v.code), place: 'Balai negeri', demo: true,
      startsAt: new Date(Date.UTC(year - 1, 8, 17, 0)), endsAt: new Date(Date.UTC(year - 1, 8, 18, 8)),
      attendance: inKec.map((v) => ({ villageCode: v.code, total: 12 + Math.floor(random() * 10), women: 4 + Math.floor(random() * 6) })),
    });
  }
  await SubmissionModel.insertMany(submissions);
  const keptPlans = chosen.filter((v) => kept.has(v.code)).map((v) => ({ code: v.code, name: v.name, year }));
  return { villages: chosen.length, members: n, submissions: submissions.length, facilitatorIds, keptPlans };
}
