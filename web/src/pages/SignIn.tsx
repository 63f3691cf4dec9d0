import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { AppConfig } from '../auth/config';
import { cognitoSignIn, devSignIn, type Role } from '../auth/session';
import { useSignedIn } from '../auth/useSession';
import { useQueryClient } from '@tanstack/react-query';

const ROLES: { role: Role; label: string; what: string }[] = [
  { role: 'campaign-manager', label: 'Campaign manager', what: 'creates, edits and runs campaigns' },
  { role: 'administrator', label: 'Administrator', what: 'everything, and the do-not-call list' },
  { role: 'analyst', label: 'Analyst', what: 'reads metrics and reports' },
];

/** Dev mode: pick a role (POST /local/sign-in). Cognito mode: go to the Hosted UI. */
export function SignIn({ config }: { config: AppConfig }) {
  const signedIn = useSignedIn();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<Role | null>(null);
  const from = (location.state as { from?: string } | null)?.from ?? '/campaigns';
  if (signedIn) return <Navigate to={from} replace />;

  const asRole = async (role: Role) => {
    setBusy(role);
    setError(null);
    try {
      await devSignIn(role);
      queryClient.clear();
      navigate(from, { replace: true });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div style={{ maxWidth: 560, margin: '10vh auto', padding: 16 }}>
      <Container header={<Header variant="h1" description="Voice campaigns">Sign in to the campaign console</Header>}>
        <SpaceBetween size="m">
          {config.auth.mode === 'dev' ? (
            <>
              <Box>Development sign-in (local server only): choose a role.</Box>
              {ROLES.map((r) => (
                <SpaceBetween key={r.role} direction="horizontal" size="s" alignItems="center">
                  <Button variant={r.role === 'campaign-manager' ? 'primary' : 'normal'} loading={busy === r.role} onClick={() => void asRole(r.role)}>
                    {`Sign in as ${r.label}`}
                  </Button>
                  <Box color="text-body-secondary">{r.what}</Box>
                </SpaceBetween>
              ))}
            </>
          ) : (
            <Button variant="primary" onClick={() => config.auth.mode === 'cognito' && void cognitoSignIn(config.auth, from)}>
              Sign in
            </Button>
          )}
          {error && <Alert type="error" header="Sign-in failed">{error}</Alert>}
        </SpaceBetween>
      </Container>
    </div>
  );
}
