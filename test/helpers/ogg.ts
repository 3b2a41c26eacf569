/**
 * A tiny valid Ogg Opus file: OpusHead and OpusTags pages, then one audio page whose granule
 * position says `seconds` (the server reads the container, never the sound). CRCs are real.
 */
const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let r = i << 24;
  for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});

function crc(data: Buffer): number {
  let c = 0;
  for (const b of data) c = ((c << 8) ^ CRC_TABLE[((c >>> 24) ^ b) & 0xff]!) >>> 0;
  return c;
}

function page(packet: Buffer, granule: bigint, sequence: number, flags: number): Buffer {
  const header = Buffer.alloc(27 + 1);
  header.write('OggS', 0, 'latin1');
  header[5] = flags;
  header.writeBigInt64LE(granule, 6);
  header.writeUInt32LE(0x5d3a1b2c, 14); // stream serial
  header.writeUInt32LE(sequence, 18);
  header[26] = 1; // one segment
  header[27] = packet.length;
  const whole = Buffer.concat([header, packet]);
  whole.writeUInt32LE(crc(whole), 22);
  return whole;
}

export function oggOpus(seconds: number): Buffer {
  const preSkip = 312;
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = 1; // mono
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(48_000, 12);
  const tags = Buffer.concat([Buffer.from('OpusTags', 'latin1'), Buffer.from([4, 0, 0, 0]), Buffer.from('test', 'latin1'), Buffer.alloc(4)]);
  const audio = Buffer.from([0xf8, 0xff, 0xfe]); // a silent 20 ms Opus frame
  return Buffer.concat([page(head, 0n, 0, 2), page(tags, 0n, 1, 0), page(audio, BigInt(seconds * 48_000 + preSkip), 2, 4)]);
}
