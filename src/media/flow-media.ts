/**
 * Pictures of a flow's questions (XLSForm media::image), sent before the question: an http(s)
 * URL as it is, or a file name in flows/media/<flow id>/ (the form's media folder, copied there
 * with the form). Form pictures are not personal data: WhatsApp fetches them from the public
 * route /media/flows/<flow>/<file>; Telegram gets the bytes.
 *
 *   const media = flowMedia(flowsDir, 'https://suaradesa.example.org');
 *   media.link({ flow: 'cek-air', file: 'sumur.jpg' })  // https://suaradesa.example.org/media/flows/cek-air/sumur.jpg
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { OutboundImage } from '../messages/index.js';

export const FLOW_MEDIA_ROUTE = '/media/flows';
/** File names a route and a folder may take: no folders, no dot files. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,150}$/;
const SAFE_FLOW = /^[a-z0-9][a-z0-9-]{0,80}$/;

export interface FlowMedia {
  /** The picture's bytes, or null when it is a URL or missing. */
  read(image: OutboundImage): Promise<Buffer | null>;
  /** A URL anyone may fetch it from, or null without a public address. */
  link(image: OutboundImage): string | null;
}

export const isUrl = (file: string): boolean => /^https?:\/\//i.test(file);

/** The file's path inside the flows folder, or null for a name that would leave it. */
export function flowMediaPath(flowsDir: string, flow: string, file: string): string | null {
  if (!SAFE_FLOW.test(flow) || !SAFE_NAME.test(file) || file.includes('..')) return null;
  return path.join(flowsDir, 'media', flow, file);
}

export function flowMedia(flowsDir: string, publicBaseUrl?: string): FlowMedia {
  return {
    async read(image) {
      const file = isUrl(image.file) ? null : flowMediaPath(flowsDir, image.flow, image.file);
      return file ? readFile(file).catch(() => null) : null;
    },
    link(image) {
      if (isUrl(image.file)) return image.file;
      if (!publicBaseUrl || !flowMediaPath(flowsDir, image.flow, image.file)) return null;
      return `${publicBaseUrl.replace(/\/+$/, '')}${FLOW_MEDIA_ROUTE}/${image.flow}/${encodeURIComponent(image.file)}`;
    },
  };
}
