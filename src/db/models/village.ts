import { Schema, model, type InferSchemaType } from 'mongoose';

/** A village (desa / negeri) with its Kemendagri code. Assisted villages are marked by staff, never hard-coded. */
const villageSchema = new Schema(
  {
    code: { type: String, required: true, match: /^\d{2}\.\d{2}\.\d{2}\.\d{4}$/ },
    name: { type: String, required: true, trim: true },
    kecamatan: { type: String, required: true },
    kecamatanCode: { type: String, required: true },
    kabupaten: { type: String, required: true },
    /** Spellings seen in the field (Tubir Masiwang for Tubir Wasiwang). */
    aliases: { type: [String], default: [] },
    assisted: { type: Boolean, default: false },
    /** Next livelihood-plan update (local midnight of the day), if known: the campaign reminds before it. */
    planUpdateDate: { type: Date, default: null },
    /** When the date was first seeded or set; a date cleared after that is not seeded again. */
    planUpdateSeededAt: { type: Date, default: null },
    timeZone: { type: String, default: 'Asia/Jayapura' },
  },
  { timestamps: true },
);
villageSchema.index({ code: 1 }, { unique: true });
villageSchema.index({ kecamatanCode: 1, name: 1 });

export type Village = InferSchemaType<typeof villageSchema>;
export const VillageModel = model('Village', villageSchema);
