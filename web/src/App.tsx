import { lazy, Suspense } from 'react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import Spinner from '@cloudscape-design/components/spinner';
import type { AppConfig } from './auth/config';
import { useSignedIn } from './auth/useSession';
import { Shell } from './Shell';
import { SignIn } from './pages/SignIn';
import { Callback } from './pages/Callback';
import { ApiError } from './api/errors';

// Route-level code splitting: each page is its own chunk, loaded when first visited.
const Campaigns = lazy(() => import('./pages/Campaigns'));
const CampaignDetail = lazy(() => import('./pages/CampaignDetail'));
const CampaignWizard = lazy(() => import('./pages/CampaignWizard'));
const Contacts = lazy(() => import('./pages/Contacts'));
const Dashboard = lazy(() => import('./pages/Dashboard'));
const Reports = lazy(() => import('./pages/Reports'));
const Compare = lazy(() => import('./pages/Compare'));
const Blacklist = lazy(() => import('./pages/Blacklist'));
const Audio = lazy(() => import('./pages/Audio'));
const NotFound = lazy(() => import('./pages/NotFound'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Client errors will not get better by asking again.
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

function RequireAuth({ children }: { children: React.ReactNode }) {
  const signedIn = useSignedIn();
  const location = useLocation();
  if (!signedIn) {
    return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  }
  return <>{children}</>;
}

export function App({ config }: { config: AppConfig }) {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <Routes>
          <Route path="/sign-in" element={<SignIn config={config} />} />
          <Route path="/callback" element={<Callback config={config} />} />
          <Route
            element={
              <RequireAuth>
                <Shell />
              </RequireAuth>
            }
          >
            <Route
              path="*"
              element={
                <Suspense fallback={<Spinner size="large" />}>
                  <Routes>
                    <Route index element={<Navigate to="/campaigns" replace />} />
                    <Route path="campaigns" element={<Campaigns />} />
                    <Route path="campaigns/new" element={<CampaignWizard />} />
                    <Route path="campaigns/:id" element={<CampaignDetail />} />
                    <Route path="campaigns/:id/edit" element={<CampaignWizard />} />
                    <Route path="campaigns/:id/contacts" element={<Contacts />} />
                    <Route path="campaigns/:id/dashboard" element={<Dashboard />} />
                    <Route path="dashboard" element={<Dashboard />} />
                    <Route path="reports" element={<Reports />} />
                    <Route path="reports/compare" element={<Compare />} />
                    <Route path="blacklist" element={<Blacklist />} />
                    <Route path="audio" element={<Audio />} />
                    <Route path="*" element={<NotFound />} />
                  </Routes>
                </Suspense>
              }
            />
          </Route>
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
