/**
 * The web console in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven
 * by playwright-core) against `sluice local` as a user starts it. Elements are found by
 * role and label, so a control without a label or a "button" that is not one fails here.
 * The README's screenshots (docs/console-*.png) are taken by this test, so they show the
 * console as it is.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    expect(await page.getByRole('table').getByRole('columnheader').allInnerTexts()).toEqual(['Partition', 'Log start offset', 'High watermark', 'Records', 'Browse']);

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
