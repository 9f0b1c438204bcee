/**
 * The web console in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven
 * by playwright-core) against `sluice local` as a user starts it. Elements are found by
 * role and label, so a control without a label or a "button" that is not one fails here.
 * The README's screenshots (docs/console-*.png) are taken by this test, so they show the
 * console as it is.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sluice } from '../../lib/client/index.ts';
import { buildConsole } from '../../lib/console/build.ts';
import { eventually } from '../support/eventually.ts';
import { repoRoot, startSluiceLocal, type SluiceLocal } from '../support/sluice-local.ts';

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('web console', () => {
  let local: SluiceLocal;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // The console as the sources say now (npm run build does the same on a clean clone).
    await buildConsole();
    [local, browser] = await Promise.all([startSluiceLocal(), chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })]);
    page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    await browser?.close();
    await local?.stop();
  });

  /** The text of the page's main region, for failure messages and checks. */
  const mainText = (): Promise<string> => page.getByRole('main').innerText();

  it('creates a topic, produces a JSON record, shows it pretty-printed at a bookmarkable URL, and deletes the topic', async () => {
    const topic = `orders-${randomBytes(3).toString('hex')}`;
    const json = { id: 1, items: ['a'] };

    // The root serves the app, which shows the topics page.
    await page.goto(`${local.url}/`);
    await page.getByRole('heading', { level: 1, name: 'Topics' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/topics');

    // Create a topic with three partitions: the console opens it.
    await page.getByLabel('Name').fill(topic);
    await page.getByLabel('Partitions').fill('3');
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.getByRole('heading', { level: 1, name: `Topic ${topic}` }).waitFor();
    await page.getByRole('status').filter({ hasText: `Created topic ${topic}.` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/topics/${topic}`);
    const partitionRows = page.getByRole('table').getByRole('row');
    expect(await partitionRows.count()).toBe(4); // a header row and one per partition
    expect(await page.getByRole('table').getByRole('columnheader').allInnerTexts()).toEqual(['Partition', 'Log start offset', 'Sealed offset', 'High watermark', 'Records', 'Browse']);

    // Produce a JSON record with a key and a header to partition 1, in the form.
    await page.getByRole('link', { name: 'Produce a record' }).click();
    await page.getByRole('heading', { level: 1, name: `Produce to ${topic}` }).waitFor();
    await page.getByLabel('Key').fill('order-1');
    await page.getByLabel('Value').fill(JSON.stringify(json));
    await page.getByLabel('Headers').fill('source: console');
    await page.getByLabel('Partition', { exact: true }).selectOption({ label: 'Partition 1' });
    await page.getByRole('button', { name: 'Produce' }).click();
    await page.getByText('Produced to partition 1 at offset 0.').waitFor();

    // Two more over HTTP: text to partition 0 and bytes that are not UTF-8 to partition 2.
    const produced = await fetch(`${local.url}/v1/topics/${topic}/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ key: 'http-1', value: 'plain text over HTTP', partition: 0 }] }),
    });
    expect(produced.status).toBe(200);
    const bytes = await fetch(`${local.url}/v1/topics/${topic}/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ encoding: 'base64', records: [{ value: Buffer.from([0, 1, 2, 0xff]).toString('base64'), partition: 2 }] }),
    });
    expect(bytes.status).toBe(200);

    // The produce answer links to the record in the browser: partition and offset in the URL.
    await page.getByRole('link', { name: 'See it in the messages' }).click();
    await page.getByRole('heading', { level: 1, name: `Messages in ${topic}` }).waitFor();
    const bookmark = `/topics/${topic}/messages?partition=1&offset=0`;
    expect(page.url()).toBe(`${local.url}${bookmark}`);
    const checkJsonRecord = async (): Promise<void> => {
      const table = page.getByRole('table');
      await table.waitFor();
      expect(await table.getByRole('row').count()).toBe(2);
      const cells = await table.getByRole('row').nth(1).getByRole('cell').allInnerTexts();
      expect(cells[0]).toBe('1'); // partition
      expect(cells[1]).toBe('0'); // offset
      expect(cells[3]).toBe('order-1'); // key
      expect(await table.locator('pre').first().innerText()).toBe(JSON.stringify(json, null, 2)); // pretty-printed
      expect(cells[5]).toContain('source');
      expect(cells[5]).toContain('console');
      expect(await page.getByLabel('Partition', { exact: true }).inputValue()).toBe('1');
      expect(await page.getByLabel('From offset').inputValue()).toBe('0');
    };
    await checkJsonRecord();

    // Bookmarkable: the same URL loaded afresh, and reloaded, shows the same.
    await page.goto(`${local.url}${bookmark}`);
    await checkJsonRecord();
    await page.reload();
    await checkJsonRecord();

    // All partitions from the beginning: the HTTP records too; bytes as hex.
    await page.getByLabel('Partition', { exact: true }).selectOption({ label: 'All partitions' });
    await page.getByLabel('From offset').fill('');
    await page.getByRole('button', { name: 'Show' }).click();
    await eventually(async () => expect(await page.getByRole('table').getByRole('row').count()).toBe(4), 10_000);
    expect(new URL(page.url()).search).toBe('');
    const text = await mainText();
    expect(text).toContain('plain text over HTTP');
    expect(text).toContain('00 01 02 ff');
    await page.screenshot({ path: join(repoRoot, 'docs', 'console-messages.png'), fullPage: true });

    // The topics page: partitions, records (high watermark minus log start, summed), policy.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Topics' }).click();
    await page.getByRole('heading', { level: 1, name: 'Topics' }).waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: topic, exact: true }) });
    expect((await row.getByRole('cell').allInnerTexts()).slice(0, 3)).toEqual(['3', '3', 'delete']);
    await page.screenshot({ path: join(repoRoot, 'docs', 'console-topics.png'), fullPage: true });

    // An API error is shown to the user: the same name again is TOPIC_EXISTS.
    await page.getByLabel('Name').fill(topic);
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.getByRole('alert').filter({ hasText: 'TOPIC_EXISTS' }).waitFor();

    // Delete, with its confirmation: cancel first keeps the topic, then delete for real.
    await row.getByRole('button', { name: `Delete topic ${topic}` }).click();
    const dialog = page.getByRole('dialog', { name: `Delete topic ${topic}?` });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await row.count()).toBe(1);
    await row.getByRole('button', { name: `Delete topic ${topic}` }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: `Deleted topic ${topic}.` }).waitFor();
    await eventually(async () => expect(await row.count()).toBe(0), 10_000);
    expect((await fetch(`${local.url}/v1/topics/${topic}`)).status).toBe(404);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  /** POSTs JSON to the API and expects a 2xx. */
  const post = async (path: string, body: unknown): Promise<unknown> => {
    const answer = await fetch(`${local.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(answer.ok, await answer.clone().text()).toBe(true);
    return answer.json();
  };
  const committed = async (group: string): Promise<Array<number | null>> => {
    const answer = await fetch(`${local.url}/v1/groups/${group}`);
    const body = (await answer.json()) as { partitions: Array<{ partition: number; committedOffset: number | null }> };
    return body.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.committedOffset);
  };
  /** A table's body rows as cell texts (the row header first). */
  const rowsOf = async (name: string): Promise<string[][]> => {
    const rows = page.getByRole('table', { name }).locator('tbody tr');
    const out: string[][] = [];
    for (let i = 0; i < (await rows.count()); i++) out.push((await rows.nth(i).locator('th, td').allInnerTexts()).map((t) => t.trim()));
    return out;
  };

  it('shows a consumer group with its lag, resets its offsets after a preview, and deletes it', async () => {
    const topic = `events-${randomBytes(3).toString('hex')}`;
    const groupId = `billing-${randomBytes(3).toString('hex')}`;
    await post('/v1/topics', { name: topic, partitions: 2 });
    await post(`/v1/topics/${topic}/records`, { records: [0, 1, 2].map((i) => ({ value: `a${i}`, partition: 0 })).concat([0, 1].map((i) => ({ value: `b${i}`, partition: 1 }))) });

    // A consumer of the SDK reads the five records and commits known offsets: 2 and 1.
    const consumer = new Sluice({ endpoint: local.url }).consumer({ groupId, autoCommit: false, sessionTimeoutMs: 6_000, maxWaitTimeInMs: 500 });
    const seen: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await eventually(() => expect(seen.length).toBe(5), 20_000);
      await consumer.commitOffsets([
        { topic, partition: 0, offset: '2' },
        { topic, partition: 1, offset: '1' },
      ]);
      // Two more on partition 0: the lag is 3 there and 1 on partition 1.
      await post(`/v1/topics/${topic}/records`, { records: [{ value: 'a3', partition: 0 }, { value: 'a4', partition: 0 }] });
      await eventually(() => expect(seen.length).toBe(7), 20_000);

      // The groups page: the group (Stable, one member) and its total lag.
      await page.goto(`${local.url}/topics`);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups' }).click();
      await page.getByRole('heading', { level: 1, name: 'Consumer groups' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/groups');
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: groupId, exact: true }) });
      expect(await row.locator('th, td').allInnerTexts()).toEqual([groupId, 'Stable', '1', '4', topic]);

      // The topic page: the group that consumes it, its lag there, and the chart with its text.
      await page.goto(`${local.url}/topics/${topic}`);
      await page.getByRole('heading', { level: 1, name: `Topic ${topic}` }).waitFor();
      expect(await rowsOf('Consumer groups')).toEqual([[groupId, 'Stable', '1', '4']]);
      const chart = page.getByRole('img', { name: /^Records in per second/ });
      await chart.waitFor();
      expect(await page.getByRole('figure', { name: /Throughput/ }).innerText()).toMatch(/Records in per second/);

      // The group's page, at a bookmarkable URL: members and per-partition lag.
      await page.getByRole('link', { name: groupId, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: `Group ${groupId}` }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/groups/${groupId}`);
      expect((await rowsOf('1 member'))[0]![3]).toBe(`${topic}/0, ${topic}/1`);
      const lagRows = (await rowsOf('Offsets and lag')).map((r) => r.slice(0, 5));
      expect(lagRows).toEqual([
        [topic, '0', '2', '5', '3'],
        [topic, '1', '1', '2', '1'],
      ]);
      expect(await mainText()).toContain('Total lag\n4');
      await page.screenshot({ path: join(repoRoot, 'docs', 'console-groups.png'), fullPage: true });

      // While the member is active a reset is refused, as the API says.
      await page.getByLabel('Topic', { exact: true }).selectOption(topic);
      await page.getByRole('button', { name: 'Preview reset' }).click();
      await page.getByRole('alert').filter({ hasText: 'GROUP_NOT_EMPTY' }).waitFor();
    } finally {
      await consumer.disconnect();
    }

    // Empty now: preview a reset to earliest, which shows the plan and changes nothing.
    await eventually(async () => expect(((await (await fetch(`${local.url}/v1/groups/${groupId}`)).json()) as { members: unknown[] }).members).toEqual([]), 20_000);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: `Group ${groupId}` }).waitFor();
    await page.getByText('No active members').waitFor();
    await page.getByLabel('Topic', { exact: true }).selectOption(topic);
    await page.getByLabel('Reset to').selectOption('earliest');
    await page.getByRole('button', { name: 'Preview reset' }).click();
    const plan = page.getByRole('table', { name: 'Reset plan' });
    await plan.waitFor();
    expect(await rowsOf('Reset plan')).toEqual([
      [topic, '0', '2', '0'],
      [topic, '1', '1', '0'],
    ]);
    expect(await committed(groupId)).toEqual([2, 1]);

    // Execute, on its own button: the committed offsets are the earliest now.
    await page.getByRole('button', { name: 'Execute reset' }).click();
    await page.getByRole('status').filter({ hasText: `Reset 2 partitions of group ${groupId}.` }).waitFor();
    expect(await committed(groupId)).toEqual([0, 0]);
    await eventually(async () => expect((await rowsOf('Offsets and lag')).map((r) => r[2])).toEqual(['0', '0']), 10_000);

    // Delete, confirmed in a dialog: cancel keeps it, then delete for real.
    await page.getByRole('button', { name: `Delete group ${groupId}` }).click();
    const dialog = page.getByRole('dialog', { name: `Delete group ${groupId}?` });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: `Delete group ${groupId}` }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: `Deleted group ${groupId}.` }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Consumer groups' }).waitFor();
    expect(await page.getByRole('link', { name: groupId, exact: true }).count()).toBe(0);

    // A group that is not there: the API's error, as the other pages show errors.
    await page.goto(`${local.url}/groups/${groupId}-nope`);
    await page.getByRole('alert').waitFor();
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('browses from a time, from the end, and filters by text in key or value, all in the URL', async () => {
    const topic = `times-${randomBytes(3).toString('hex')}`;
    await post('/v1/topics', { name: topic, partitions: 2 });
    const at = (hour: number): number => Date.UTC(2026, 11, 6, hour);
    await post(`/v1/topics/${topic}/records`, {
      records: [
        { key: 'k-9a', value: 'early on 0', partition: 0, timestamp: at(9) },
        { key: 'k-9b', value: 'early on 1', partition: 1, timestamp: at(9) },
        { key: 'k-10', value: 'ten on 0', partition: 0, timestamp: at(10) },
        { key: 'k-11', value: 'eleven on 1', partition: 1, timestamp: at(11) },
      ],
    });
    const values = (): Promise<string[]> => page.getByRole('table').locator('tbody tr td:nth-child(5)').allInnerTexts();

    // From a time, chosen in the form: only the records at or after it, in both partitions.
    await page.goto(`${local.url}/topics/${topic}/messages`);
    await page.getByRole('heading', { level: 1, name: `Messages in ${topic}` }).waitFor();
    expect(await values()).toHaveLength(4);
    await page.getByLabel('Start from').selectOption({ label: 'A time' });
    await page.getByLabel('From time').fill('2026-12-06T10:00:00Z');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((url) => url.search === '?time=2026-12-06T10%3A00%3A00Z');
    await eventually(async () => expect(await values()).toEqual(['ten on 0', 'eleven on 1']), 10_000);
    // Bookmarkable: loaded afresh it shows the same, with the form as it was.
    await page.reload();
    await eventually(async () => expect(await values()).toEqual(['ten on 0', 'eleven on 1']), 10_000);
    expect(await page.getByLabel('Start from').inputValue()).toBe('time');
    expect(await page.getByLabel('From time').inputValue()).toBe('2026-12-06T10:00:00Z');
    // A time that is not one is refused in the form, as the user typed it.
    await page.getByLabel('From time').fill('soon');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('alert').filter({ hasText: 'the time must be ISO 8601' }).waitFor();
    await page.getByLabel('From time').fill('2026-12-06T10:00:00Z');

    // The filter hides records whose key and value do not contain the text.
    await page.getByLabel('Key or value contains').fill('ELEVEN');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((url) => url.searchParams.get('q') === 'ELEVEN' && url.searchParams.get('time') === '2026-12-06T10:00:00Z');
    await eventually(async () => expect(await values()).toEqual(['eleven on 1']), 10_000);
    expect(await page.getByRole('table').locator('caption').innerText()).toContain('(1 other hidden)');
    // By key too, from the beginning.
    await page.goto(`${local.url}/topics/${topic}/messages?q=k-9`);
    await eventually(async () => expect(await values()).toEqual(['early on 0', 'early on 1']), 10_000);

    // From the end: none of the records there are; Live brings the next one.
    await page.getByLabel('Key or value contains').fill('');
    await page.getByLabel('Start from').selectOption({ label: 'The end' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((url) => url.search === '?from=end');
    await page.getByText('No records in all partitions from the end.').waitFor();
    expect(await page.getByRole('table').count()).toBe(0);
    await page.getByRole('button', { name: 'Live' }).click();
    await page.getByText('Live: waiting for new records in all partitions.').waitFor();
    await post(`/v1/topics/${topic}/records`, { records: [{ key: 'k-new', value: 'newest', partition: 1 }] });
    await eventually(async () => expect(await values()).toEqual(['newest']), 20_000);
    await page.getByRole('button', { name: 'Live' }).click();
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('adds partitions and edits config on the topic page, showing the API refusing a bad change', async () => {
    const topic = `alter-${randomBytes(3).toString('hex')}`;
    await post('/v1/topics', { name: topic, partitions: 1 });
    const described = async (): Promise<{ partitions: unknown[]; config: Record<string, unknown> }> => (await fetch(`${local.url}/v1/topics/${topic}`)).json() as never;
    await page.goto(`${local.url}/topics/${topic}`);
    await page.getByRole('heading', { level: 1, name: `Topic ${topic}` }).waitFor();
    const partitionsTable = page.getByRole('table', { name: /partitions?$/ });
    expect(await partitionsTable.locator('tbody tr').count()).toBe(1);

    // The same count is refused by the API (partitions only grow): its error is shown.
    await page.getByLabel('Partition count').fill('1');
    await page.getByRole('button', { name: 'Add partitions' }).click();
    await page.getByRole('alert').filter({ hasText: 'INVALID_REQUEST' }).waitFor();
    expect((await described()).partitions).toHaveLength(1);
    // Three: the page shows them.
    await page.getByLabel('Partition count').fill('3');
    await page.getByRole('button', { name: 'Add partitions' }).click();
    await page.getByRole('status').filter({ hasText: `Topic ${topic} has 3 partitions now.` }).waitFor();
    await eventually(async () => expect(await page.getByRole('table', { name: '3 partitions' }).locator('tbody tr').count()).toBe(3), 10_000);
    expect((await described()).partitions).toHaveLength(3);
    // Per partition: log start, sealed offset (nothing sealed yet), high watermark, records.
    expect(await rowsOf('3 partitions')).toEqual([0, 1, 2].map((p) => [String(p), '0', '0', '0', '0', 'Messages']));

    // Config: retention.ms, cleanup.policy and max.message.bytes, saved and shown.
    await page.getByLabel('retention.ms', { exact: true }).fill('3600000');
    await page.getByLabel('cleanup.policy').selectOption('compact');
    await page.getByLabel('max.message.bytes').fill('2048');
    await page.getByRole('button', { name: 'Save config' }).click();
    await page.getByRole('status').filter({ hasText: `Saved the config of topic ${topic}.` }).waitFor();
    expect((await described()).config).toMatchObject({ retentionMs: 3600000, cleanupPolicy: 'compact', maxMessageBytes: 2048 });
    await page.reload();
    await page.getByRole('heading', { level: 1, name: `Topic ${topic}` }).waitFor();
    expect(await page.getByLabel('retention.ms', { exact: true }).inputValue()).toBe('3600000');
    expect(await page.getByLabel('cleanup.policy').inputValue()).toBe('compact');
    expect(await page.getByLabel('max.message.bytes').inputValue()).toBe('2048');

    // A value out of range, and one that is no number: the API's message, nothing changed.
    await page.getByLabel('max.message.bytes').fill('10');
    await page.getByRole('button', { name: 'Save config' }).click();
    await page.getByRole('alert').filter({ hasText: 'config.maxMessageBytes must be an integer from 64' }).waitFor();
    await page.getByLabel('retention.ms', { exact: true }).fill('soon');
    await page.getByLabel('max.message.bytes').fill('2048');
    await page.getByRole('button', { name: 'Save config' }).click();
    await page.getByRole('alert').filter({ hasText: 'config.retentionMs must be -1 or an integer' }).waitFor();
    expect((await described()).config).toMatchObject({ retentionMs: 3600000, maxMessageBytes: 2048 });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('tails a topic live: a record produced with the CLI appears without a reload, and leaving stops the polls', async () => {
    const topic = `tail-${randomBytes(3).toString('hex')}`;
    await post('/v1/topics', { name: topic, partitions: 2 });
    await post(`/v1/topics/${topic}/records`, { records: [{ value: 'before', partition: 0 }] });
    // Long polls in flight: requested, not yet finished or failed.
    const polls = new Set<unknown>();
    page.on('request', (r) => r.url().includes('waitMs=') && polls.add(r));
    page.on('requestfinished', (r) => polls.delete(r));
    page.on('requestfailed', (r) => polls.delete(r));

    await page.goto(`${local.url}/topics/${topic}/messages`);
    await page.getByRole('heading', { level: 1, name: `Messages in ${topic}` }).waitFor();
    const live = page.getByRole('button', { name: 'Live' });
    expect(await live.getAttribute('aria-pressed')).toBe('false');
    await live.click();
    expect(await live.getAttribute('aria-pressed')).toBe('true');
    await page.getByText(`Live: waiting for new records in all partitions.`).waitFor();
    await eventually(() => expect(polls.size).toBe(2), 10_000);

    const line = `tailed-${randomBytes(3).toString('hex')}`;
    await new Promise<void>((resolve, reject) => {
      const child = execFile(process.execPath, [join(repoRoot, 'bin', 'sluice.js'), 'produce', '--topic', topic, '--endpoint', local.url], { cwd: repoRoot }, (error) =>
        error ? reject(error) : resolve(),
      );
      child.stdin!.end(`${line}\n`);
    });
    const rows = page.getByRole('table').locator('tbody tr');
    await rows.filter({ hasText: line }).waitFor({ timeout: 20_000 });
    expect(await rows.count()).toBe(2);
    await page.getByText('Live: 1 new record in all partitions.').waitFor();

    // Off: the polls are aborted; on again and away: leaving aborts them too.
    await live.click();
    expect(await live.getAttribute('aria-pressed')).toBe('false');
    await eventually(() => expect(polls.size).toBe(0), 10_000);
    await live.click();
    await eventually(() => expect(polls.size).toBe(2), 10_000);
    await page.getByRole('link', { name: topic, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Topic ${topic}` }).waitFor();
    await eventually(() => expect(polls.size).toBe(0), 10_000);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('serves the app for console paths, files as they are, and leaves /v1 to the API', async () => {
    const app = await fetch(`${local.url}/topics/some-topic/messages?partition=0&offset=5`);
    expect(app.status).toBe(200);
    expect(app.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await app.text()).toContain('<script type="module" src="/app.js"></script>');
    const script = await fetch(`${local.url}/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // No way out of the console folder.
    const escape = await fetch(`${local.url}/..%2f..%2fpackage.json`);
    expect(await escape.text()).toContain('<script type="module" src="/app.js"></script>');
    // The API's own answers stand: an unknown /v1 path is its JSON 404.
    const api = await fetch(`${local.url}/v1/nothing-here`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBeTypeOf('string');
  });
});
