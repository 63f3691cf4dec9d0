import '@cloudscape-design/global-styles/index.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { configureApi } from './api/client';
import { loadConfig } from './auth/config';
import { accessToken, initSession, resumeCognito, sessionExpired } from './auth/session';
import { App } from './App';

const root = createRoot(document.getElementById('root')!);

loadConfig()
  .then(async (config) => {
    initSession(config);
    // A reload in Cognito mode: trade this tab's refresh token for a new access token first.
    if (config.auth.mode === 'cognito' && window.location.pathname !== '/callback') await resumeCognito(config.auth);
    configureApi({ base: config.api_base, token: accessToken, unauthorized: sessionExpired });
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    );
  })
  .catch((e: unknown) => {
    root.render(
      <p role="alert" style={{ fontFamily: 'sans-serif', padding: 24 }}>
        The console could not start: {e instanceof Error ? e.message : String(e)}
      </p>,
    );
  });
