import { useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import AppLayout from '@cloudscape-design/components/app-layout';
import TopNavigation from '@cloudscape-design/components/top-navigation';
import SideNavigation, { type SideNavigationProps } from '@cloudscape-design/components/side-navigation';
import Flashbar from '@cloudscape-design/components/flashbar';
import { useMe } from './auth/me';
import { signOut } from './auth/session';
import { describeError } from './api/errors';
import { useFlash } from './lib/flash';

const NAV: SideNavigationProps.Item[] = [
  { type: 'link', text: 'Campaigns', href: '/campaigns' },
  { type: 'link', text: 'Live dashboard', href: '/dashboard' },
  { type: 'link', text: 'Reports', href: '/reports' },
  { type: 'link', text: 'Do-not-call list', href: '/blacklist' },
  { type: 'link', text: 'Audio library', href: '/audio' },
];

const ROLE_NAMES: Record<string, string> = {
  administrator: 'Administrator',
  'campaign-manager': 'Campaign manager',
  analyst: 'Analyst',
};

/** The frame of every signed-in page: top bar (user, role, sign out), side navigation, flash messages. */
export function Shell() {
  const navigate = useNavigate();
  const location = useLocation();
  const me = useMe();
  const [navOpen, setNavOpen] = useState(true);
  const flash = useFlash();
  const active = NAV.find(
    (i) => i.type === 'link' && (location.pathname === i.href || location.pathname.startsWith(`${i.href}/`)),
  );
  const user = me.data ? me.data.subject : me.isError ? 'unknown user' : '…';
  const role = me.data ? (ROLE_NAMES[me.data.role] ?? me.data.role) : '';
  const follow = (e: CustomEvent<{ href?: string; external?: boolean }>) => {
    if (e.detail.href && !e.detail.external) {
      e.preventDefault();
      navigate(e.detail.href);
    }
  };
  return (
    <>
      <div id="top-nav" style={{ position: 'sticky', top: 0, zIndex: 1002 }}>
        <TopNavigation
          identity={{ href: '/campaigns', title: 'Campaign console', onFollow: follow }}
          utilities={[
            {
              type: 'menu-dropdown',
              text: role ? `${user} · ${role}` : user,
              ariaLabel: `Account menu: ${user}${role ? `, ${role}` : ''}`,
              description: role ? `Role: ${role}` : undefined,
              iconName: 'user-profile',
              items: [{ id: 'signout', text: 'Sign out' }],
              onItemClick: (e) => {
                if (e.detail.id === 'signout') {
                  signOut();
                  navigate('/sign-in');
                }
              },
            },
          ]}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        navigationOpen={navOpen}
        onNavigationChange={(e) => setNavOpen(e.detail.open)}
        navigation={
          <SideNavigation
            header={{ href: '/campaigns', text: 'Campaigns' }}
            activeHref={active?.type === 'link' ? active.href : location.pathname}
            items={NAV}
            onFollow={follow}
          />
        }
        notifications={
          <Flashbar
            items={[
              ...(me.isError
                ? [{ type: 'error' as const, id: 'me', content: `Could not read who you are: ${describeError(me.error)}` }]
                : []),
              ...flash.items,
            ]}
          />
        }
        toolsHide
        content={<Outlet />}
      />
    </>
  );
}
