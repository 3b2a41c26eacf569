/**
 * The length of an Ogg Opus voice note read from its container, without decoding any audio:
 * WhatsApp does not say how long a voice note is, the file does. The last page's granule
 * position counts 48 kHz samples; the OpusHead's pre-skip is taken off.
 *
 *   oggOpusSeconds(bytes)  // 23, or undefined for anything else (MP3, AMR, a cut file)
 */
const OPUS_RATE = 48_000;

export function oggOpusSeconds(data: Buffer): number | undefined {
  if (data.length < 28 || data.toString('latin1', 0, 4) !== 'OggS') return undefined;
  const head = data.indexOf('OpusHead');
  if (head < 0 || head + 12 > data.length) return undefined;
  const preSkip = data.readUInt16LE(head + 10);
  const last = data.lastIndexOf('OggS');
  if (last + 14 > data.length) return undefined;
  // -1 means "no packet ends on this page": not a length.
  const granule = data.readBigInt64LE(last + 6);
  const samples = Number(granule) - preSkip;
  return granule >= 0n && samples >= 0 ? Math.round(samples / OPUS_RATE) : undefined;
}
