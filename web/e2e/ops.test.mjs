// Running a campaign from the console, as an operator would: upload the sample contacts and read
// the import summary with its invalid rows; start the campaign and watch the live numbers move;
// pause and resume; request a PDF report and download it; put a contact's number on the
// do-not-call list and see the contact blocked; the audio library; compare campaigns.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, SHOTS, startConsole } from './harness.mjs';

const SAMPLE = join(REPO, 'shared/embedded/data/sample-contacts.csv');

let c;
before(async () => {
  c = await startConsole();
});
after(async () => {
  await c?.stop();
});

const settings = (cps = 5) => ({
  audio: 'sound:spring-appeal',
  schedule: { timezone: 'Asia/Jerusalem', windows: [] },
  pace: { calls_per_second: cps, max_concurrent: 10 },
});

/** The number shown in a tile (data-testid), thousands separators removed. */
async function tile(page, id) {
  const text = await page.getByTestId(id).innerText();
  const n = Number(text.replace(/[^\d.]/g, ''));
  assert.ok(!Number.isNaN(n), `${id} shows a number (got ${text})`);
  return n;
}

async function until(what, fn, ms = 20_000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Uploads the contacts file through the page's file input. */
async function uploadThroughPage(page, file) {
  await page.locator('input[type=file]').first().setInputFiles(file);
}

let campaignId;

test('a manager uploads the sample contacts and reads the exact summary with every invalid row', async () => {
  const created = await c.api('POST', '/api/campaigns', { name: 'Spring appeal — ops e2e', kind: 'voice', settings: settings(5) });
  campaignId = created.id;
  const page = await c.page('campaign-manager');
  await page.goto(`/campaigns/${campaignId}/contacts`);
  await page.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();
  await page.getByLabel('Region').fill('IL');
  await uploadThroughPage(page, SAMPLE);
  await page.getByText('Imported sample-contacts.csv').waitFor({ timeout: 60_000 });

  const total = await tile(page, 'sum-total');
  const imported = await tile(page, 'sum-imported');
  const duplicates = await tile(page, 'sum-duplicates');
  const invalid = await tile(page, 'sum-invalid');
  assert.equal(total, 3000, 'every row of the file counted');
  assert.ok(invalid > 0, 'the sample has invalid rows');
  assert.equal(imported + duplicates + invalid, total, 'imported + duplicates + invalid = rows');
  // Every invalid row is listed with its row number and reason (25 a page).
  const table = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Reason' }) });
  assert.equal(await table.getByRole('row').count(), Math.min(invalid, 25) + 1);
  const first = await table.getByRole('row').nth(1).innerText();
  assert.match(first, /^\d+\s/, 'a row number first');
  await page.getByText(`${imported} contacts imported`).waitFor();
  await c.shot(page, 'contacts-import-summary');

  // The contact list: paged with the API's cursor, status and attempts shown.
  const list = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Attempts' }) });
  await list.getByRole('row').nth(50).waitFor();
  assert.equal(await list.getByRole('row').count(), 51, '50 contacts a page');
  await page.getByRole('button', { name: 'Next page' }).click();
  await until('page 2', async () => (await page.getByRole('button', { name: 'Page 2' }).getAttribute('aria-current')) === 'true');
  await list.getByText('pending').first().waitFor();
});

test('Hebrew names in the contact list render right to left', async () => {
  const created = await c.api('POST', '/api/campaigns', { name: 'שמות בעברית', kind: 'voice', settings: settings(1) });
  const file = join(SHOTS, 'hebrew-contacts.csv');
  writeFileSync(file, 'phone,first_name,last_name\n+12125942684,דנה,כהן\n+12129215653,יוסי,לוי\nnot-a-number,אבי,רון\n');
  const page = await c.page('campaign-manager');
  await page.goto(`/campaigns/${created.id}/contacts`);
  await uploadThroughPage(page, file);
  await page.getByText('Imported hebrew-contacts.csv').waitFor({ timeout: 30_000 });
  assert.equal(await tile(page, 'sum-invalid'), 1);
  await page.getByRole('cell', { name: 'not-a-number' }).waitFor();
  const name = page.getByText('דנה כהן', { exact: true });
  await name.waitFor();
  assert.equal(await name.evaluate((el) => el.matches(':dir(rtl)')), true, 'the Hebrew name runs right to left');
  const phone = page.getByText('+12125942684', { exact: true });
  assert.equal(await phone.evaluate((el) => el.matches(':dir(ltr)')), true, 'the number stays left to right');
  await c.shot(page, 'contacts-hebrew');
});

test('a manager starts the campaign and watches the live numbers move, then pauses and resumes', async () => {
  assert.ok(campaignId, 'the upload test made the campaign');
  const page = await c.page('campaign-manager');
  await page.goto(`/campaigns/${campaignId}/dashboard`);
  await page.getByRole('heading', { name: 'Live dashboard', level: 1 }).waitFor();
  await page.getByText(/Live \(stream\)|Polling every second/).waitFor();
  assert.equal(await tile(page, 'count-attempts'), 0);

  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByRole('button', { name: 'Pause', exact: true }).waitFor();
  // Attempts grow as the simulated carrier answers; the page updates without a reload.
  const a1 = await until('first attempts', async () => ((await tile(page, 'count-attempts')) > 0 ? tile(page, 'count-attempts') : null), 30_000);
  const a2 = await until('more attempts', async () => {
    const n = await tile(page, 'count-attempts');
    return n > a1 ? n : null;
  });
  assert.ok(a2 > a1, `attempts grew ${a1} → ${a2}`);
  assert.match(await page.getByTestId('data-age').innerText(), /Data [0-2] s old/);
  assert.equal(await tile(page, 'configured-pace'), 5);
  // Measured rate, pace in force, outcomes and contacts are all on the page.
  await until('a measured rate', async () => (await tile(page, 'dial-rate')) > 0);
  await until('contacts in progress or done', async () => (await tile(page, 'contacts-pending')) < 2971);
  await new Promise((r) => setTimeout(r, 3000)); // a few seconds of chart
  await c.shot(page, 'dashboard-campaign');
  await page.screenshot({ path: join(SHOTS, 'dashboard-readme.png'), fullPage: false });

  // Pause: the API says paused, the dialling stops (attempts settle).
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.getByRole('button', { name: 'Resume', exact: true }).waitFor();
  assert.equal((await c.api('GET', `/api/campaigns/${campaignId}`)).status, 'paused');
  await until('pace 0 while paused', async () => (await tile(page, 'pace-in-force')) === 0);
  const settled = await until('attempts settle', async () => {
    const x = await tile(page, 'count-attempts');
    await new Promise((r) => setTimeout(r, 2500));
    return (await tile(page, 'count-attempts')) === x ? x + 1 : null;
  });
  await c.shot(page, 'dashboard-paused');

  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await page.getByRole('button', { name: 'Pause', exact: true }).waitFor();
  assert.equal((await c.api('GET', `/api/campaigns/${campaignId}`)).status, 'active');
  await until('attempts grow again', async () => (await tile(page, 'count-attempts')) > settled - 1);
  await page.getByTestId('pace-changes').waitFor();
});

test('the dashboard across campaigns', async () => {
  const page = await c.page('analyst');
  await page.goto('/dashboard');
  await page.getByText(/Across \d+ campaigns/).waitFor();
  await until('attempts across campaigns', async () => (await tile(page, 'count-attempts')) > 0);
  await c.shot(page, 'dashboard-overall');
});

test('a manager requests a PDF report and downloads it', async () => {
  const page = await c.page('campaign-manager');
  await page.goto(`/reports?campaign=${campaignId}`);
  await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Request report' }).click();
  await page.getByText('The PDF report is ready').waitFor({ timeout: 30_000 }).catch(async (e) => {
    await c.shot(page, 'reports-failed');
    throw e;
  });
  await c.shot(page, 'reports-ready');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: /Download PDF/ }).first().click(),
  ]);
  const path = join(SHOTS, 'report.pdf');
  await download.saveAs(path);
  assert.equal(readFileSync(path).subarray(0, 4).toString('latin1'), '%PDF');
  assert.match(download.suggestedFilename(), /\.pdf$/);
  // History lists it.
  await page.getByRole('table').getByText('PDF', { exact: true }).first().waitFor();
  await c.shot(page, 'reports');
});

test('two campaigns compared side by side', async () => {
  const other = await c.api('POST', '/api/campaigns', { name: 'Autumn appeal', kind: 'voice', settings: settings(2) });
  const page = await c.page('campaign-manager');
  await page.goto(`/reports/compare?ids=${campaignId},${other.id}`);
  await page.getByRole('heading', { name: 'Side by side' }).waitFor();
  await page.getByRole('columnheader', { name: 'Autumn appeal' }).waitFor();
  await page.getByRole('columnheader', { name: 'Spring appeal — ops e2e' }).waitFor();
  await c.shot(page, 'compare');
});

test('a number put on the do-not-call list blocks its contact', async () => {
  // The status filter applies to each page: follow the cursor until a pending contact shows.
  let phone;
  for (let cursor = '', i = 0; !phone && i < 20; i += 1) {
    const page = await c.api('GET', `/api/campaigns/${campaignId}/contacts?status=pending&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    phone = page.items[0]?.phone;
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  assert.ok(phone, 'a pending contact');
  const page = await c.page('campaign-manager');
  await page.goto('/blacklist');
  await page.getByRole('heading', { name: 'Do-not-call list', level: 1 }).waitFor();
  // A manager adds; looking up, removing, importing and exporting are for administrators.
  assert.equal(await page.getByRole('button', { name: 'Export CSV' }).count(), 0);
  await page.getByLabel('Phone numbers to add').fill(phone);
  await page.getByLabel('Reason').fill('asked not to be called');
  await page.getByRole('button', { name: /Add 1 to the do-not-call list/ }).click();
  await page.getByText('newly listed', { exact: true }).waitFor();
  await page.getByText('1 number newly listed (1 sent); 1 contact blocked in campaigns.').waitFor();
  await c.shot(page, 'blacklist-manager');

  await page.goto(`/campaigns/${campaignId}/contacts`);
  await page.getByRole('button', { name: 'Filter by status' }).click();
  await page.getByRole('option', { name: 'Blacklisted' }).click();
  const row = page.getByRole('row').filter({ hasText: phone });
  await row.waitFor();
  assert.match(await row.innerText(), /blacklisted/);
  // A blocked contact is never called again: no next attempt is shown.
  assert.equal((await row.getByRole('cell').last().innerText()).trim(), '—');
  await c.shot(page, 'contacts-blacklisted');

  // An administrator looks the number up and sees its history.
  const admin = await c.page('administrator');
  await admin.goto('/blacklist');
  await admin.getByLabel('Number to look up').fill(phone);
  await admin.getByRole('button', { name: 'Look up' }).click();
  await admin.getByText('on the do-not-call list').waitFor();
  // The history row says what happened, from where and why (the API's tagged `change` read right).
  const added = admin.getByRole('row').filter({ hasText: 'asked not to be called' });
  await added.waitFor();
  assert.match(await added.innerText(), /added[\s\S]*added by staff/);
  await admin.getByRole('button', { name: 'Export CSV' }).waitFor();
  await c.shot(admin, 'blacklist-admin');

  // An analyst is offered nothing to change.
  const analyst = await c.page('analyst');
  await analyst.goto('/blacklist');
  await analyst.getByText('may not change the do-not-call list').waitFor();
  assert.equal(await analyst.getByRole('button', { name: /to the do-not-call list/ }).count(), 0);
});

/** A short WAV (a 440 Hz tone), written here so the test needs no audio file. */
function toneWav(seconds = 0.5, rate = 8000) {
  const n = Math.round(seconds * rate);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i += 1) buf.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), 44 + i * 2);
  return buf;
}

test('a manager uploads audio (a wrong type is refused in the browser) and can play it', async () => {
  const page = await c.page('campaign-manager');
  await page.goto('/audio');
  await page.getByRole('heading', { name: 'Audio library', level: 1 }).waitFor();
  await page.locator('input[type=file]').first().setInputFiles({ name: 'voice.ogg', mimeType: 'audio/ogg', buffer: Buffer.from('OggS') });
  await page.getByText('only MP3 or WAV audio is accepted').waitFor();
  await page.locator('input[type=file]').first().setInputFiles({ name: 'greeting.wav', mimeType: 'audio/wav', buffer: toneWav() });
  await page.getByText(/Uploaded greeting\.wav/).waitFor();
  const row = page.getByRole('row').filter({ hasText: 'greeting.wav' });
  await row.waitFor();
  const src = await row.locator('audio').getAttribute('src');
  assert.ok(src, 'the row has a playable URL');
  const played = await page.evaluate(async (u) => {
    const r = await fetch(u);
    return { status: r.status, head: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 4)) };
  }, src);
  assert.deepEqual(played, { status: 200, head: 'RIFF' });
  await c.shot(page, 'audio');
});

after(() => {
  // The README's dashboard picture (viewport only, to stay small), refreshed
  // only when asked (UPDATE_SCREENSHOTS=1), so a test run leaves the checkout
  // as it found it.
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  try {
    const png = join(SHOTS, 'dashboard-readme.png');
    if (statSync(png).size <= 300 * 1024) copyFileSync(png, join(REPO, 'docs', 'console-dashboard.png'));
  } catch {
    /* the dashboard test did not run */
  }
});
