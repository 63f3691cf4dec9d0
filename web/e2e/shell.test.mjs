// The shell: sign in through the page, see the navigation and who is signed in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startConsole } from './harness.mjs';

let c;
before(async () => {
  c = await startConsole();
});
after(async () => {
  await c?.stop();
});

test('a manager signs in and sees the navigation with their role', async () => {
  const page = await c.page('campaign-manager');
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
  for (const name of ['Campaigns', 'Live dashboard', 'Reports', 'Do-not-call list', 'Audio library']) {
    assert.ok(await page.getByRole('link', { name, exact: true }).first().isVisible(), `nav link ${name}`);
  }
  await page.getByRole('button', { name: /Account menu: .*Campaign manager/ }).waitFor();
  await c.shot(page, 'shell');
  await page.getByRole('link', { name: 'Audio library' }).click();
  await page.getByRole('heading', { name: 'Audio library', level: 1 }).waitFor();
});

test('signing out returns to the sign-in page', async () => {
  const page = await c.page('analyst');
  await page.getByRole('button', { name: /Account menu: .*Analyst/ }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in as Analyst' }).waitFor();
});
