// Campaigns, as a campaign manager and an analyst use them: the create wizard (week grid,
// YAML retry rules with an error then the fix, the flow builder), the detail page's
// lifecycle buttons (start, pause, resume, cancel with its confirm), and what an analyst sees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, startConsole } from './harness.mjs';

let c;
before(async () => {
  c = await startConsole();
});
after(async () => {
  await c?.stop();
});

/** A draft with 40 sample contacts at a slow pace, so it stays active while the test runs (setup through the API). */
async function campaignWithContacts(name) {
  const created = await c.api('POST', '/api/campaigns', {
    name,
    kind: 'voice',
    settings: { audio: 'sound:spring-appeal', schedule: { timezone: 'Asia/Jerusalem', windows: [] }, pace: { calls_per_second: 1, max_concurrent: 2 } },
  });
  const csv = readFileSync(join(REPO, 'shared/embedded/data/sample-contacts.csv'), 'utf8').split('\n').slice(0, 41).join('\n');
  const up = await fetch(`${c.base}/api/campaigns/${created.id}/contacts`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await c.token('campaign-manager')}`, 'Content-Type': 'text/csv' },
    body: csv,
  });
  assert.equal(up.status, 201, await up.text());
  return created;
}

const next = (page) => page.getByRole('button', { name: 'Next', exact: true }).click();

test('a manager creates a campaign through the wizard', async () => {
  const page = await c.page('campaign-manager');
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Create campaign' }).click();

  // Step 1: name and kind (Hebrew name, right to left)
  await page.getByLabel('Campaign name').fill('מבצע אביב — e2e');
  await page.getByText('Hybrid', { exact: true }).waitFor();
  await c.shot(page, 'wizard-1-name');
  await next(page);

  // Step 2: audio, and a look at the flow builder on a custom flow
  await page.getByRole('combobox', { name: 'Audio' }).fill('sound:spring-appeal');
  await page.getByText('Custom flow', { exact: true }).click();
  await page.getByRole('img', { name: /IVR flow diagram: 3 nodes, starting at message/ }).waitFor();
  await page.getByRole('button', { name: 'Validate flow' }).click();
  await page.getByText('The API accepts this flow').waitFor();
  await c.shot(page, 'wizard-2-flow-builder');
  await page.getByText('Standard flow', { exact: true }).click();
  await next(page);

  // Step 3: the SMS text with its live preview from the sample contact
  await page.getByLabel('SMS text').fill('תודה {{first_name}}! Give here: https://give.example.org/s');
  await page.getByText('תודה דנה! Give here: https://give.example.org/s').waitFor();
  await page.getByLabel('TTS text').fill('Hello {{nickname}}');
  await page.getByText('missing value for variable "nickname"', { exact: false }).waitFor();
  await page.getByLabel('TTS text').fill('');
  await c.shot(page, 'wizard-3-texts');
  await next(page);

  // Step 4: the week grid — clear it, drag Sunday 10:00 to Thursday 13:00, add Friday 22:00–24:00
  await page.getByRole('button', { name: 'Clear' }).click();
  const cell = (day, hour) => page.getByRole('button', { name: `${day} ${String(hour).padStart(2, '0')}:00`, exact: true });
  await cell('sunday', 10).hover();
  await page.mouse.down();
  await cell('thursday', 13).hover();
  await page.mouse.up();
  await cell('friday', 22).click();
  await cell('friday', 23).click();
  await page.getByText('Windows: Sun–Thu 10:00–14:00; Fri 22:00–24:00').waitFor();
  await c.shot(page, 'wizard-4-schedule');
  await next(page);

  // Step 5: retry rules — a YAML error is shown under the field, then fixed
  // The field's accessible name is its visible label (FormField's aria-labelledby wins over aria-label).
  const yaml = page.getByLabel('Retry rules YAML (day-and-time rules, call-manager format)', { exact: true });
  await yaml.fill('- day_of_week: "saturday"\n  start_time: "10:00:00"\n  end_time: "12:00:00"\n  retry_interval_minutes: 60\n  colour: "blue"\n');
  await next(page);
  await page.getByText(/rule 0: .*colour/).waitFor();
  assert.ok(await yaml.isVisible(), 'still on the retry step');
  await c.shot(page, 'wizard-5-retry-error');
  await page.getByRole('button', { name: 'Insert example' }).click();
  await page.getByRole('button', { name: 'Check rules' }).click();
  await page.getByText('2 rules accepted by the API').waitFor();
  await next(page);

  // Step 6: review and create
  await page.getByText('Sun–Thu 10:00–14:00; Fri 22:00–24:00').waitFor();
  await c.shot(page, 'wizard-6-review');
  await page.getByRole('button', { name: 'Create campaign' }).click();
  await page.getByRole('heading', { name: 'מבצע אביב — e2e', level: 1 }).waitFor();
  await page.getByText(/Created .* as a draft/).waitFor();
  await page.getByText('draft', { exact: true }).first().waitFor();

  // THEN the API stored what the wizard showed
  const id = new URL(page.url()).pathname.split('/').pop();
  const stored = await c.api('GET', `/api/campaigns/${id}`);
  assert.equal(stored.kind, 'voice');
  assert.equal(stored.settings.audio, 'sound:spring-appeal');
  assert.equal(stored.settings.ivr, null);
  assert.deepEqual(
    stored.settings.schedule.windows.map((w) => [w.days.join(','), w.start, w.end]),
    [
      ['sunday,monday,tuesday,wednesday,thursday', '10:00:00', '14:00:00'],
      ['friday', '22:00:00', '23:59:59'],
    ],
  );
  assert.deepEqual(
    stored.settings.retry.rules.map((r) => r.retry_interval_minutes),
    [60, 30],
  );
  await c.shot(page, 'campaign-detail-draft');
});

test('a manager starts, pauses, resumes and cancels a campaign from its page', async () => {
  // GIVEN a draft campaign with 40 contacts, set up through the API
  const created = await campaignWithContacts('Pause and resume');

  const page = await c.page('campaign-manager');
  await page.goto(`/campaigns/${created.id}`);
  await page.getByRole('heading', { name: 'Pause and resume', level: 1 }).waitFor();
  // A draft offers schedule, start and cancel — not pause or resume
  await page.getByRole('button', { name: 'Start', exact: true }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Pause', exact: true }).count(), 0);

  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByText('Start: the campaign is now active.').waitFor();
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.getByText('Pause: the campaign is now paused.').waitFor();
  await page.getByText('paused', { exact: true }).first().waitFor();
  await c.shot(page, 'campaign-detail-paused');
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await page.getByText('Resume: the campaign is now active.').waitFor();
  assert.equal((await c.api('GET', `/api/campaigns/${created.id}`)).status, 'active');

  // Cancel asks first; "Keep it" keeps it running
  await page.getByRole('button', { name: 'Cancel campaign' }).click();
  await page.getByRole('dialog').getByText('Cancel this campaign?').waitFor();
  await c.shot(page, 'campaign-cancel-confirm', { fullPage: false });
  await page.getByRole('button', { name: 'Keep it' }).click();
  assert.equal((await c.api('GET', `/api/campaigns/${created.id}`)).status, 'active');
  await page.getByRole('button', { name: 'Cancel campaign' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel campaign' }).click();
  await page.getByText('Cancel campaign: the campaign is now cancelled.').waitFor();
  await page.getByRole('button', { name: 'Archive', exact: true }).waitFor();
  assert.equal((await c.api('GET', `/api/campaigns/${created.id}`)).status, 'cancelled');
});

test('a manager edits a running campaign: locked fields, the impact before and after saving', async () => {
  // GIVEN an active campaign
  const created = await campaignWithContacts('Edit while running');
  await c.api('POST', `/api/campaigns/${created.id}/start`);
  const page = await c.page('campaign-manager');
  await page.goto(`/campaigns/${created.id}/edit`);
  await page.getByLabel('Campaign name').waitFor();
  await page.getByRole('button', { name: 'Step 5: Pace and retries' }).click();
  await page.getByLabel('Calls per second').fill('2');
  await page.getByRole('button', { name: 'Step 6: Review changes' }).click();
  await page.getByText('pace: from the next dispatch; calls in progress keep their slots').waitFor();
  await c.shot(page, 'campaign-edit-impact');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText(/When each change applies/).waitFor();
  await page.getByText('pace: from the next dispatch; calls in progress keep their slots').waitFor();
  assert.equal((await c.api('GET', `/api/campaigns/${created.id}`)).settings.pace.calls_per_second, 2);
  // audio is locked while it runs
  await page.goto(`/campaigns/${created.id}/edit`);
  await page.getByRole('button', { name: 'Step 2: Message and IVR flow' }).click();
  assert.ok(await page.getByRole('combobox', { name: 'Audio' }).isDisabled(), 'audio is locked while active');
  await page.getByText(/Locked while the campaign runs/).first().waitFor();
});

test('the campaigns list filters by text and status', async () => {
  const page = await c.page('campaign-manager');
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Pause and resume' }).waitFor();
  await c.shot(page, 'campaigns-list');
  await page.getByLabel('Find campaigns').fill('אביב');
  await page.getByRole('link', { name: 'מבצע אביב — e2e' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Pause and resume' }).count(), 0);
  await page.getByLabel('Find campaigns').fill('');
  await page.getByRole('button', { name: /Status/ }).click();
  await page.getByRole('option', { name: 'cancelled' }).click();
  await page.getByRole('link', { name: 'Pause and resume' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'מבצע אביב — e2e' }).count(), 0);
});

test('an analyst sees no create button', async () => {
  const page = await c.page('analyst');
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
  await page.getByText('Read-only role').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Create campaign' }).count(), 0);
  await c.shot(page, 'campaigns-analyst');
});

test('the console works right to left', async () => {
  const page = await c.page('campaign-manager', { dir: 'rtl' });
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  await page.getByRole('link', { name: 'מבצע אביב — e2e' }).click();
  await page.getByRole('heading', { name: 'מבצע אביב — e2e', level: 1 }).waitFor();
  await c.shot(page, 'campaign-detail-rtl');
});
