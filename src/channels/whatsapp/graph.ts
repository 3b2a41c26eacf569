/**
 * A small client for the WhatsApp Cloud API (Graph API): JSON calls with the bearer token, errors
 * as GraphError with Meta's code. The base URL is configurable, so tests point it at the local
 * stand-in (test/fakes/whatsapp-graph-api.ts) and nothing else changes.
 */
import { readCapped } from '../../media/store.js';

export interface GraphClientOptions {
  /** e.g. https://graph.facebook.com (no trailing slash needed). */
  baseUrl: string;
  /** e.g. v23.0 */
  apiVersion: string;
  accessToken: string;
  /** Per request (default 20 s). */
  timeoutMs?: number;
}

/** Meta's error answer: `{error:{message, type, code, error_data:{details}, fbtrace_id}}`, or a network failure (code 0). */
export class GraphError extends Error {
  override name = 'GraphError';
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

export interface GraphClient {
  post<T>(path: string, body: unknown): Promise<T>;
  get<T>(path: string): Promise<T>;
  /** Downloads a media URL (with the token), refusing more than maxBytes. */
  download(url: string, maxBytes: number): Promise<{ data: Buffer; contentType: string }>;
}

export function createGraphClient(options: GraphClientOptions): GraphClient {
  const root = `${options.baseUrl.replace(/\/+$/, '')}/${options.apiVersion}`;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const auth = { authorization: `Bearer ${options.accessToken}` };

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${root}/${path.replace(/^\/+/, '')}`, {
        method,
        headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new GraphError(0, 0, `network: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new GraphError(res.status, 0, `HTTP ${res.status}: not JSON`);
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: unknown; message?: unknown; error_data?: { details?: unknown } } }).error;
      const details = typeof e?.error_data?.details === 'string' ? e.error_data.details : undefined;
      throw new GraphError(res.status, typeof e?.code === 'number' ? e.code : 0, typeof e?.message === 'string' ? e.message : `HTTP ${res.status}`, details);
    }
    return json as T;
  }

  return {
    post: (path, body) => call('POST', path, body),
    get: (path) => call('GET', path),
    async download(url, maxBytes) {
      let res: Response;
      try {
        res = await fetch(url, { headers: auth, signal: AbortSignal.timeout(timeoutMs * 3) });
      } catch (err) {
        throw new GraphError(0, 0, `network: ${(err as Error).message}`);
      }
      if (!res.ok) throw new GraphError(res.status, 0, `media download: HTTP ${res.status}`);
      return { data: await readCapped(res, maxBytes), contentType: res.headers.get('content-type') ?? 'application/octet-stream' };
    },
  };
}
