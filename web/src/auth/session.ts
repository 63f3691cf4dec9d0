// The signed-in session. Dev mode: the HS256 token from POST /local/sign-in, kept in
// sessionStorage (this tab only). Cognito mode: access/id tokens in memory only, the refresh
// token in sessionStorage at most; nothing in localStorage.
import type { AppConfig, CognitoAuth } from './config';
import { challengeS256, randomVerifier } from './pkce';

const DEV_TOKEN = 'console.dev.token';
const REFRESH = 'console.cognito.refresh';
const PKCE = 'console.cognito.pkce';
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

interface Tokens {
  access: string;
  expiresAt: number; // epoch ms
}

let config: AppConfig | null = null;
let tokens: Tokens | null = null;
let refreshing: Promise<void> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

export function onSessionChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
function changed(): void {
  for (const fn of listeners) fn();
}

/** Seconds-since-epoch `exp` of a JWT (not verified: the API verifies; this only schedules refresh). */
export function jwtExpiry(token: string): number | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof json.exp === 'number' ? json.exp * 1000 : null;
  } catch {
    return null;
  }
}

export function initSession(cfg: AppConfig): void {
  config = cfg;
  if (cfg.auth.mode === 'dev') {
    const t = sessionStorage.getItem(DEV_TOKEN);
    if (t) {
      const exp = jwtExpiry(t) ?? Date.now() + 3600_000;
      if (exp > Date.now()) tokens = { access: t, expiresAt: exp };
      else sessionStorage.removeItem(DEV_TOKEN);
    }
  }
}

export function isSignedIn(): boolean {
  return tokens !== null && tokens.expiresAt > Date.now();
}

/** The access token for an API call, refreshed first when it is about to expire. */
export async function accessToken(): Promise<string | null> {
  if (!tokens) return null;
  if (config?.auth.mode === 'cognito' && tokens.expiresAt - Date.now() < REFRESH_MARGIN_MS) {
    await refresh(config.auth).catch(() => signOutLocally());
  }
  return tokens?.access ?? null;
}

// ---- dev mode -------------------------------------------------------------

export type Role = 'administrator' | 'campaign-manager' | 'analyst';

export async function devSignIn(role: Role): Promise<void> {
  const res = await fetch('/local/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ role }),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
  if (!res.ok || !body.token) {
    throw new Error(body.error?.message ?? `sign-in failed (HTTP ${res.status})`);
  }
  sessionStorage.setItem(DEV_TOKEN, body.token);
  tokens = { access: body.token, expiresAt: jwtExpiry(body.token) ?? Date.now() + 3600_000 };
  changed();
}

// ---- Cognito Hosted UI, authorization code + PKCE -------------------------

export async function cognitoSignIn(auth: CognitoAuth, returnTo: string): Promise<void> {
  const verifier = randomVerifier();
  const state = randomVerifier(16);
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(`${auth.domain}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: auth.client_id,
    redirect_uri: auth.redirect_uri,
    scope: (auth.scopes ?? ['openid']).join(' '),
    state,
    code_challenge_method: 'S256',
    code_challenge: await challengeS256(verifier),
  }).toString();
  window.location.assign(url.toString());
}

async function tokenRequest(auth: CognitoAuth, params: Record<string, string>): Promise<void> {
  const res = await fetch(`${auth.domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: auth.client_id, ...params }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    refresh_token?: string;
    error?: string;
  };
  if (!res.ok || !body.access_token) throw new Error(`token request failed: ${body.error ?? res.status}`);
  tokens = {
    access: body.access_token,
    expiresAt: jwtExpiry(body.access_token) ?? Date.now() + (body.expires_in ?? 3600) * 1000,
  };
  if (body.refresh_token) sessionStorage.setItem(REFRESH, body.refresh_token);
  scheduleRefresh(auth);
  changed();
}

function scheduleRefresh(auth: CognitoAuth): void {
  clearTimeout(timer);
  if (!tokens) return;
  const wait = Math.max(5_000, tokens.expiresAt - Date.now() - REFRESH_MARGIN_MS);
  timer = setTimeout(() => void refresh(auth).catch(() => signOutLocally()), wait);
}

async function refresh(auth: CognitoAuth): Promise<void> {
  const rt = sessionStorage.getItem(REFRESH);
  if (!rt) throw new Error('no refresh token');
  refreshing ??= tokenRequest(auth, { grant_type: 'refresh_token', refresh_token: rt }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** On the redirect back from the Hosted UI: trade the code for tokens. Returns where to go next. */
export async function completeCognitoSignIn(auth: CognitoAuth, search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const saved = JSON.parse(sessionStorage.getItem(PKCE) ?? 'null') as
    | { verifier: string; state: string; returnTo: string }
    | null;
  sessionStorage.removeItem(PKCE);
  const err = params.get('error');
  if (err) throw new Error(`sign-in refused: ${params.get('error_description') ?? err}`);
  const code = params.get('code');
  if (!code || !saved || params.get('state') !== saved.state) throw new Error('sign-in answer does not match this tab');
  await tokenRequest(auth, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: auth.redirect_uri,
    code_verifier: saved.verifier,
  });
  return saved.returnTo || '/';
}

/** A page load with a refresh token from this tab's earlier sign-in: get an access token again. */
export async function resumeCognito(auth: CognitoAuth): Promise<boolean> {
  if (!sessionStorage.getItem(REFRESH)) return false;
  try {
    await refresh(auth);
    return true;
  } catch {
    sessionStorage.removeItem(REFRESH);
    return false;
  }
}

function signOutLocally(): void {
  tokens = null;
  clearTimeout(timer);
  sessionStorage.removeItem(DEV_TOKEN);
  sessionStorage.removeItem(REFRESH);
  changed();
}

export function signOut(): void {
  signOutLocally();
  if (config?.auth.mode === 'cognito') {
    const a = config.auth;
    const url = new URL(`${a.domain}/logout`);
    url.search = new URLSearchParams({
      client_id: a.client_id,
      logout_uri: a.logout_uri ?? new URL('/', a.redirect_uri).toString(),
    }).toString();
    window.location.assign(url.toString());
  }
}

/** For a 401 from the API: the token is no good any more. */
export function sessionExpired(): void {
  if (tokens) signOutLocally();
}
