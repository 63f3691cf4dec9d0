// /config.json: how this console signs in and where the API is (contract item 8).
export interface CognitoAuth {
  mode: 'cognito';
  domain: string;
  client_id: string;
  redirect_uri: string;
  scopes?: string[];
  logout_uri?: string;
}
export interface DevAuth {
  mode: 'dev';
}
export interface AppConfig {
  auth: DevAuth | CognitoAuth;
  api_base?: string;
}

export function parseConfig(raw: unknown): AppConfig {
  if (typeof raw !== 'object' || raw === null) throw new Error('config.json is not an object');
  const r = raw as Record<string, unknown>;
  const auth = r.auth as Record<string, unknown> | undefined;
  const apiBase = typeof r.api_base === 'string' && r.api_base !== '' ? r.api_base : undefined;
  if (!auth || auth.mode === 'dev') return { auth: { mode: 'dev' }, api_base: apiBase };
  if (auth.mode === 'cognito') {
    for (const k of ['domain', 'client_id', 'redirect_uri']) {
      if (typeof auth[k] !== 'string' || auth[k] === '') throw new Error(`config.json: auth.${k} is missing`);
    }
    return {
      auth: {
        mode: 'cognito',
        domain: String(auth.domain).replace(/\/$/, ''),
        client_id: String(auth.client_id),
        redirect_uri: String(auth.redirect_uri),
        scopes: Array.isArray(auth.scopes) ? auth.scopes.map(String) : ['openid', 'email', 'profile'],
        logout_uri: typeof auth.logout_uri === 'string' ? auth.logout_uri : undefined,
      },
      api_base: apiBase,
    };
  }
  throw new Error(`config.json: unknown auth.mode ${String(auth.mode)}`);
}

export async function loadConfig(): Promise<AppConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`could not read /config.json (HTTP ${res.status})`);
  return parseConfig(await res.json());
}
