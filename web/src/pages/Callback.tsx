import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Spinner from '@cloudscape-design/components/spinner';
import type { AppConfig } from '../auth/config';
import { completeCognitoSignIn } from '../auth/session';

/** The Hosted UI's redirect target: trades the authorization code (with the PKCE verifier) for tokens. */
export function Callback({ config }: { config: AppConfig }) {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const once = useRef(false);
  useEffect(() => {
    if (once.current || config.auth.mode !== 'cognito') return;
    once.current = true;
    completeCognitoSignIn(config.auth, window.location.search)
      .then((to) => navigate(to, { replace: true }))
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [config, navigate]);
  if (config.auth.mode !== 'cognito') return <Alert type="info">Nothing to do here in development mode.</Alert>;
  return error ? (
    <div style={{ maxWidth: 560, margin: '10vh auto' }}>
      <Alert type="error" header="Sign-in failed" action={<a href="/sign-in">Try again</a>}>
        {error}
      </Alert>
    </div>
  ) : (
    <Spinner size="large" />
  );
}
