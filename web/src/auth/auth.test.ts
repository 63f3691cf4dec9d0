import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { challengeS256, randomVerifier } from './pkce';
import { jwtExpiry } from './session';

describe('PKCE', () => {
  it('computes the S256 challenge of RFC 7636 appendix B', async () => {
    expect(await challengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
  it('makes unreserved, unpadded verifiers of 43+ characters that differ each time', () => {
    const a = randomVerifier();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(randomVerifier()).not.toBe(a);
  });
});

describe('config.json', () => {
  it('reads dev mode, and same origin when api_base is absent', () => {
    expect(parseConfig({ auth: { mode: 'dev' } })).toEqual({ auth: { mode: 'dev' }, api_base: undefined });
  });
  it('reads Cognito mode with the default scopes', () => {
    const c = parseConfig({
      auth: { mode: 'cognito', domain: 'https://x.auth.eu-west-1.amazoncognito.com/', client_id: 'abc', redirect_uri: 'https://c.example/callback' },
      api_base: 'https://api.example',
    });
    expect(c).toEqual({
      auth: {
        mode: 'cognito',
        domain: 'https://x.auth.eu-west-1.amazoncognito.com',
        client_id: 'abc',
        redirect_uri: 'https://c.example/callback',
        scopes: ['openid', 'email', 'profile'],
        logout_uri: undefined,
      },
      api_base: 'https://api.example',
    });
  });
  it('names what is missing', () => {
    expect(() => parseConfig({ auth: { mode: 'cognito', domain: 'https://x' } })).toThrow('config.json: auth.client_id is missing');
    expect(() => parseConfig({ auth: { mode: 'saml' } })).toThrow(/unknown auth.mode saml/);
  });
});

describe('jwtExpiry', () => {
  it('reads exp (seconds) as milliseconds, null when unreadable', () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1_900_000_000 })).toString('base64url');
    expect(jwtExpiry(`h.${payload}.s`)).toBe(1_900_000_000_000);
    expect(jwtExpiry('garbage')).toBeNull();
  });
});
