/**
 * The message browser: a topic's records from the beginning or from an offset, across
 * partitions or in one, with key, value, headers, timestamp, partition and offset. The
 * form writes its choices into the URL (`?partition=0&offset=10&limit=50&binary=hex`), so a
 * view can be bookmarked; the records are fetched base64-encoded and shown by format.ts.
 */
import type { FetchedRecord, TopicDescription } from '../../client/types.ts';
import { field, h } from '../dom.ts';
import { show, timeText, type BinaryView, type Shown } from '../format.ts';
import { topicHref, type Page } from '../page.ts';
import { keyboardRows } from '../table.ts';

interface Browse {
  readonly partition: number | undefined;
  readonly offset: number | undefined;
  readonly limit: number;
  readonly binary: BinaryView;
}

interface Row extends FetchedRecord {
  readonly partition: number;
}

const defaultLimit = 50;

function wholeNumber(text: string | null): number | undefined {
  if (text === null || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function browseOf(query: URLSearchParams): Browse {
  return {
    partition: wholeNumber(query.get('partition')),
    offset: wholeNumber(query.get('offset')),
    limit: Math.min(Math.max(wholeNumber(query.get('limit')) ?? defaultLimit, 1), 1000),
    binary: query.get('binary') === 'base64' ? 'base64' : 'hex',
  };
}

function hrefOf(topic: string, browse: Browse): string {
  const query = new URLSearchParams();
  if (browse.partition !== undefined) query.set('partition', String(browse.partition));
  if (browse.offset !== undefined) query.set('offset', String(browse.offset));
  if (browse.limit !== defaultLimit) query.set('limit', String(browse.limit));
  if (browse.binary !== 'hex') query.set('binary', browse.binary);
  const search = query.toString();
  return `${topicHref(topic, 'messages')}${search ? `?${search}` : ''}`;
}

export const messagesPage: Page = async (context) => {
  const name = context.params[0]!;
  const browse = browseOf(context.query);
  const topic = await context.client.describeTopic(name);
  const rows = await fetchRows(context.client, topic, browse);
  const form = browseForm(topic, browse, (next) => context.navigate(hrefOf(name, next)));
  const single = browse.partition !== undefined ? topic.partitions.find((p) => p.partition === browse.partition) : undefined;
  const last = rows.at(-1);
  const more = single && last && last.offset + 1 < single.highWatermark ? h('a', { href: hrefOf(name, { ...browse, offset: last.offset + 1 }) }, 'Next records') : null;
  const where = browse.partition === undefined ? 'all partitions' : `partition ${browse.partition}`;
  const from = browse.offset === undefined ? 'the beginning' : `offset ${browse.offset}`;
  return h(
    'section',
    {},
    h('p', { class: 'crumbs' }, h('a', { href: '/topics' }, 'Topics'), ' / ', h('a', { href: topicHref(name) }, name), ' / '),
    h('h1', { tabindex: -1 }, `Messages in ${name}`),
    h('nav', { 'aria-label': 'Topic' }, h('a', { href: topicHref(name, 'produce') }, 'Produce a record')),
    form,
    rows.length === 0 ? h('p', { role: 'status' }, `No records in ${where} from ${from}.`) : recordsTable(rows, browse.binary, `${rows.length} record${rows.length === 1 ? '' : 's'}, ${where}, from ${from}`),
    more,
  );
};

/**
 * Up to `limit` records from each chosen partition, starting at the offset (kept within
 * the partition's log start and high watermark) or at the log start; across partitions
 * they are ordered by timestamp.
 */
async function fetchRows(client: Parameters<Page>[0]['client'], topic: TopicDescription, browse: Browse): Promise<Row[]> {
  const partitions = topic.partitions.filter((p) => browse.partition === undefined || p.partition === browse.partition);
  if (browse.partition !== undefined && partitions.length === 0) throw new Error(`topic ${topic.name} has no partition ${browse.partition}`);
  const fetched = await Promise.all(
    partitions.map(async (p) => {
      const offset = Math.min(Math.max(browse.offset ?? p.logStartOffset, p.logStartOffset), p.highWatermark);
      if (offset >= p.highWatermark) return [];
      const answer = await client.fetchRecords(topic.name, p.partition, { offset, maxRecords: browse.limit, encoding: 'base64' });
      return answer.records.map((r): Row => ({ ...r, partition: p.partition }));
    }),
  );
  return fetched.flat().sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset);
}

function browseForm(topic: TopicDescription, browse: Browse, go: (next: Browse) => void): HTMLElement {
  const partition = h(
    'select',
    { name: 'partition' },
    h('option', { value: '' }, 'All partitions'),
    ...topic.partitions.map((p) => h('option', { value: p.partition, selected: p.partition === browse.partition }, `Partition ${p.partition}`)),
  );
  const offset = h('input', { name: 'offset', type: 'number', min: 0, placeholder: 'beginning', value: browse.offset });
  const limit = h('input', { name: 'limit', type: 'number', min: 1, max: 1000, value: browse.limit });
  const binary = h(
    'select',
    { name: 'binary' },
    h('option', { value: 'hex', selected: browse.binary === 'hex' }, 'hex'),
    h('option', { value: 'base64', selected: browse.binary === 'base64' }, 'base64'),
  );
  const form = h(
    'form',
    { class: 'inline', 'aria-label': 'Browse' },
    field('Partition', partition),
    field('From offset', offset),
    field('Records per partition', limit),
    field('Binary as', binary),
    h('button', { type: 'submit' }, 'Show'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go({
      partition: wholeNumber(partition.value),
      offset: wholeNumber(offset.value),
      limit: wholeNumber(limit.value) ?? defaultLimit,
      binary: binary.value === 'base64' ? 'base64' : 'hex',
    });
  });
  return form;
}

function shownCell(shown: Shown): HTMLElement {
  const body = shown.kind === 'json' || shown.text.includes('\n') ? h('pre', {}, shown.text) : h('span', {}, shown.text);
  return h('td', { class: `value ${shown.kind}` }, shown.kind === 'hex' || shown.kind === 'base64' ? h('span', { class: 'kind' }, `${shown.kind} `) : null, body);
}

function recordsTable(rows: readonly Row[], binary: BinaryView, caption: string): HTMLElement {
  const tbody = h(
    'tbody',
    {},
    ...rows.map((r) => {
      const headers = Object.entries(r.headers);
      return h(
        'tr',
        {},
        h('td', { class: 'num' }, r.partition),
        h('td', { class: 'num' }, r.offset),
        h('td', {}, h('time', { datetime: timeText(r.timestamp) }, timeText(r.timestamp))),
        shownCell(show(r.key, binary)),
        shownCell(show(r.value, binary)),
        h('td', {}, headers.length === 0 ? '' : h('dl', { class: 'headers' }, ...headers.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, show(v, binary).text)]))),
      );
    }),
  );
  keyboardRows(tbody);
  return h(
    'table',
    { class: 'records' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...['Partition', 'Offset', 'Timestamp', 'Key', 'Value', 'Headers'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
}
