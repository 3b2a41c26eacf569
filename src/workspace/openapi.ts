/** The OpenAPI 3.1 document, generated from the same route list and zod schemas the router uses. */
import { z } from 'zod';
import { apiRoutes } from './api.js';

type Json = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output' = 'input'): Json {
  const json = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

function parameters(s: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!s) return [];
  const json = schemaOf(s);
  const props = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, schema]) => ({
    name, in: where, required: where === 'path' ? true : required.has(name) && !('default' in schema), schema,
  }));
}

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, issues: { type: 'array', items: { type: 'object' } }, details: {} },
  required: ['error', 'message'],
};

export function openApiDocument(serverUrl: string): Json {
  const paths: Record<string, Json> = {};
  for (const r of apiRoutes()) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const status = String(r.success?.status ?? 200);
    const ok: Json = status === '204'
      ? { description: 'Done' }
      : r.success?.contentType
        ? { description: 'The file, streamed', content: { 'text/csv': { schema: { type: 'string' } }, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } }
        : { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } };
    const err = (d: string) => ({ description: d, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    const responses: Json = {
      [status]: ok,
      '400': err('Invalid input (validation errors, or a query operator such as {"$gt": ""})'),
      '401': err('Not signed in and no API key'),
      ...(r.adminOnly || r.method !== 'get' ? { '403': err('Not allowed (admins only, or a missing CSRF token on a cookie session)') } : {}),
      '404': err('Not found, or a village outside the caller\'s villages'),
      ...Object.fromEntries(Object.entries(r.errors ?? {}).map(([code, why]) => [code, err(why)])),
    };
    const op: Json = {
      operationId: `${r.method}${r.path.replace(/[/:{}-]+(\w)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      tags: [r.tag],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses,
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(r.body) } } };
    if (r.rawBody) {
      op.requestBody = { required: true, content: Object.fromEntries(r.rawBody.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }])) };
      responses['415'] = err('Not a CSV or XLSX body');
    }
    paths[path] = { ...(paths[path] ?? {}), [r.method]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Suara Desa workspace API',
      version: '1.0.0',
      description: 'Villages, members, plans, submissions, risk reports and their review, workshops, broadcasts, help requests, exports, audit log. '
        + 'Authenticate with an API key (Authorization: Bearer sdk_...) or a browser session (cookie plus the x-csrf-token header on changes).',
    },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }, { session: [] }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key made by an admin (npm run admin -- key, or the API keys page)' },
        session: { type: 'apiKey', in: 'cookie', name: 'sd_session' },
      },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
