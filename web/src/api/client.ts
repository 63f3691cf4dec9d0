import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { ApiError } from './errors';

export type Schemas = components['schemas'];
export type Campaign = Schemas['Campaign'];
export type CampaignStatus = Schemas['CampaignStatus'];
export type CampaignKind = Schemas['CampaignKind'];
export type CampaignSettings = Schemas['CampaignSettings'];
export type CampaignCreate = Schemas['CampaignCreate'];
export type CampaignPatch = Schemas['CampaignPatch'];
export type EditOutcome = Schemas['EditOutcome'];
export type AudioFile = Schemas['AudioFile'];
export type Schedule = Schemas['Schedule'];
export type CampaignWindow = Schedule['windows'][number];

/** Where the API lives: `api_base` of /config.json, or the page's own origin. */
let apiBase = '';
/** Supplies a fresh access token (refreshing it first when near expiry); null when signed out. */
let tokenSource: () => Promise<string | null> = async () => null;
/** Called on a 401 so the app can send the user back to sign in. */
let onUnauthorized: () => void = () => {};

export function configureApi(opts: {
  base?: string;
  token: () => Promise<string | null>;
  unauthorized?: () => void;
}): void {
  apiBase = (opts.base ?? '').replace(/\/$/, '');
  tokenSource = opts.token;
  if (opts.unauthorized) onUnauthorized = opts.unauthorized;
}

export function apiUrl(path: string): string {
  return `${apiBase}${path}`;
}

export async function authHeader(): Promise<Record<string, string>> {
  const token = await tokenSource();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

const auth: Middleware = {
  async onRequest({ request }) {
    const token = await tokenSource();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({
  // The base is read per request so configureApi may run after this module loads.
  baseUrl: '',
  fetch: (req: Request) => fetch(apiBase ? new Request(apiBase + new URL(req.url).pathname + new URL(req.url).search, req) : req),
});
api.use(auth);

/**
 * Unwraps an openapi-fetch result: the data, or an ApiError carrying the API's code,
 * message and details (thrown, so TanStack Query sees it as the query's error).
 */
export async function must<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) {
    throw ApiError.fromBody(response.status, error, response.statusText);
  }
  return data as T;
}

/** A raw fetch with the auth header, for routes the typed client does not cover (streams, downloads). */
export async function authedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(await authHeader())) headers.set(k, v);
  const response = await fetch(apiUrl(path), { ...init, headers });
  if (response.status === 401) onUnauthorized();
  return response;
}

/** Like authedFetch, but JSON in and out, throwing ApiError on a non-2xx answer. */
export async function fetchJson<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('Content-Type', 'application/json');
  const response = await authedFetch(path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
  const text = await response.text();
  let body: unknown = text;
  let isJson = true;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    isJson = false; // keep the text for the error
  }
  if (!response.ok) throw ApiError.fromBody(response.status, body, response.statusText);
  // A 2xx that is not JSON is not the API answering (a proxy or an HTML fallback page).
  if (!isJson) throw new ApiError(response.status, 'not_json', `${path} did not answer JSON`);
  return body as T;
}
