/**
 * The message browser: a topic's records from the beginning, the end, an offset or a time,
 * across partitions or in one, with key, value, headers, timestamp, partition and offset,
 * optionally only those whose key or value contains a text. The form writes its choices
 * into the URL (`?partition=0&offset=10&limit=50&binary=hex`, `?from=end`,
 * `?time=2026-12-06T10:00:00Z`, `?q=text`), so a view can be bookmarked; the records are
 * fetched base64-encoded and shown by format.ts.
 * "Live" tails the chosen partitions: it long-polls each from its end and appends what
 * arrives, until it is turned off or the page is left (the polls are aborted then).
 */
import type { SluiceClient } from '../../client/client.ts';
import type { FetchedRecord, TopicDescription } from '../../client/types.ts';
import { errorBox, field, h } from '../dom.ts';
import { matches, parseTime, show, timeText, type BinaryView, type Shown } from '../format.ts';
import { topicHref, type Page } from '../page.ts';
import { keyboardRows } from '../table.ts';

/** Where reading starts in each partition: its log start, an offset, the first record at or after a time, or its end. */
type Start =
  | { readonly at: 'beginning' }
  | { readonly at: 'offset'; readonly offset: number }
  | { readonly at: 'time'; readonly time: string; readonly ms: number }
  | { readonly at: 'end' };

interface Browse {
  readonly partition: number | undefined;
  readonly start: Start;
  readonly limit: number;
  readonly binary: BinaryView;
  /** Only records whose key or value (as shown) contains this; empty: all. */
  readonly filter: string;
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

/** The start a URL names: `from=end`, else `time=`, else `offset=`, else the beginning (a bad time is refused with a message). */
function startOf(query: URLSearchParams): Start {
  if (query.get('from') === 'end') return { at: 'end' };
  const time = query.get('time');
  if (time !== null && time.trim() !== '') return { at: 'time', time: time.trim(), ms: parseTime(time) };
  const offset = wholeNumber(query.get('offset'));
  return offset === undefined ? { at: 'beginning' } : { at: 'offset', offset };
}

function browseOf(query: URLSearchParams): Browse {
  return {
    partition: wholeNumber(query.get('partition')),
    start: startOf(query),
    limit: Math.min(Math.max(wholeNumber(query.get('limit')) ?? defaultLimit, 1), 1000),
    binary: query.get('binary') === 'base64' ? 'base64' : 'hex',
    filter: query.get('q') ?? '',
  };
}

function startText(start: Start): string {
  switch (start.at) {
    case 'beginning':
      return 'the beginning';
    case 'offset':
      return `offset ${start.offset}`;
    case 'time':
      return timeText(start.ms);
    case 'end':
      return 'the end';
  }
}

function hrefOf(topic: string, browse: Browse): string {
  const query = new URLSearchParams();
  if (browse.partition !== undefined) query.set('partition', String(browse.partition));
  if (browse.start.at === 'offset') query.set('offset', String(browse.start.offset));
  if (browse.start.at === 'time') query.set('time', browse.start.time);
  if (browse.start.at === 'end') query.set('from', 'end');
  if (browse.filter !== '') query.set('q', browse.filter);
  if (browse.limit !== defaultLimit) query.set('limit', String(browse.limit));
  if (browse.binary !== 'hex') query.set('binary', browse.binary);
  const search = query.toString();
  return `${topicHref(topic, 'messages')}${search ? `?${search}` : ''}`;
}

export const messagesPage: Page = async (context) => {
  const name = context.params[0]!;
  const browse = browseOf(context.query);
  const topic = await context.client.describeTopic(name);
  const fetched = await fetchRows(context.client, topic, browse);
  const shows = (r: Row): boolean => matches(browse.filter, show(r.key, browse.binary), show(r.value, browse.binary));
  const rows = fetched.filter(shows);
  let hidden = fetched.length - rows.length;
  const form = browseForm(topic, browse, (next) => context.navigate(hrefOf(name, next)));
  const single = browse.partition !== undefined ? topic.partitions.find((p) => p.partition === browse.partition) : undefined;
  const last = fetched.at(-1);
  const more =
    single && last && last.offset + 1 < single.highWatermark ? h('a', { href: hrefOf(name, { ...browse, start: { at: 'offset', offset: last.offset + 1 } }) }, 'Next records') : null;
  const where = browse.partition === undefined ? 'all partitions' : `partition ${browse.partition}`;
  const from = startText(browse.start);
  const filtered = (): string => (browse.filter === '' ? '' : ` containing "${browse.filter}" (${hidden} other${hidden === 1 ? '' : 's'} hidden)`);
  const results = h('div', {});
  let table: { tbody: HTMLTableSectionElement; caption: HTMLElement } | undefined;
  let count = rows.length;
  let live = 0;
  const captionText = (): string => `${count} record${count === 1 ? '' : 's'}${filtered()}, ${where}, from ${from}${live > 0 ? `, ${live} of them live` : ''}`;
  if (rows.length === 0) {
    const after = browse.start.at === 'end' ? ' Turn on Live to see new ones as they arrive.' : '';
    results.append(h('p', { role: 'status' }, `No records${filtered()} in ${where} from ${from}.${after}`));
  }
  else {
    const made = recordsTable(rows, browse.binary, captionText());
    table = made;
    results.append(made.table);
  }
  const append = (all: readonly Row[]): void => {
    const arrived = all.filter(shows);
    hidden += all.length - arrived.length;
    count += arrived.length;
    live += arrived.length;
    if (!table) {
      const made = recordsTable([], browse.binary, '');
      table = made;
      results.replaceChildren(made.table);
    }
    for (const row of arrived) {
      const tr = recordRow(row, browse.binary);
      tr.tabIndex = table.tbody.rows.length === 0 ? 0 : -1;
      table.tbody.append(tr);
    }
    table.caption.textContent = captionText();
  };
  const chosen = topic.partitions.filter((p) => browse.partition === undefined || p.partition === browse.partition).map((p) => p.partition);
  return h(
    'section',
    {},
    h('p', { class: 'crumbs' }, h('a', { href: '/topics' }, 'Topics'), ' / ', h('a', { href: topicHref(name) }, name), ' / '),
    h('h1', { tabindex: -1 }, `Messages in ${name}`),
    h('nav', { 'aria-label': 'Topic' }, h('a', { href: topicHref(name, 'produce') }, 'Produce a record')),
    form,
    liveControl(context.client, name, chosen, where, context.signal, append),
    results,
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
      const offset = Math.min(Math.max(await startOffset(client, topic.name, p, browse.start), p.logStartOffset), p.highWatermark);
      if (offset >= p.highWatermark) return [];
      const answer = await client.fetchRecords(topic.name, p.partition, { offset, maxRecords: browse.limit, encoding: 'base64' });
      return answer.records.map((r): Row => ({ ...r, partition: p.partition }));
    }),
  );
  return fetched.flat().sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset);
}

/** Where `start` is in one partition (the caller keeps it within the bounds). */
async function startOffset(client: SluiceClient, topic: string, p: TopicDescription['partitions'][number], start: Start): Promise<number> {
  switch (start.at) {
    case 'beginning':
      return p.logStartOffset;
    case 'offset':
      return start.offset;
    case 'end':
      return p.highWatermark;
    case 'time':
      // The first offset at or after the time; the end when nothing is that recent.
      return (await client.offsetFor(topic, p.partition, start.ms)).offset;
  }
}

function browseForm(topic: TopicDescription, browse: Browse, go: (next: Browse) => void): HTMLElement {
  const partition = h(
    'select',
    { name: 'partition' },
    h('option', { value: '' }, 'All partitions'),
    ...topic.partitions.map((p) => h('option', { value: p.partition, selected: p.partition === browse.partition }, `Partition ${p.partition}`)),
  );
  const start = h(
    'select',
    { name: 'from' },
    ...(
      [
        ['beginning', 'The beginning'],
        ['end', 'The end'],
        ['offset', 'An offset'],
        ['time', 'A time'],
      ] as const
    ).map(([value, text]) => h('option', { value, selected: browse.start.at === value }, text)),
  );
  const offset = h('input', { name: 'offset', type: 'number', min: 0, placeholder: 'beginning', value: browse.start.at === 'offset' ? browse.start.offset : undefined });
  const time = h('input', { name: 'time', type: 'text', placeholder: '2026-12-06T10:00:00Z', autocomplete: 'off', value: browse.start.at === 'time' ? browse.start.time : undefined });
  // Typing an offset or a time chooses it as the start; clearing it goes back to the beginning.
  offset.addEventListener('input', () => (start.value = offset.value.trim() === '' ? 'beginning' : 'offset'));
  time.addEventListener('input', () => (start.value = time.value.trim() === '' ? 'beginning' : 'time'));
  const filter = h('input', { name: 'q', type: 'search', autocomplete: 'off', value: browse.filter || undefined });
  const problem = h('div', { 'aria-live': 'assertive' });
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
    field('Start from', start),
    field('From offset', offset),
    field('From time', time, 'ISO 8601, UTC unless it says'),
    field('Records per partition', limit),
    field('Binary as', binary),
    field('Key or value contains', filter),
    h('button', { type: 'submit' }, 'Show'),
    problem,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    problem.replaceChildren();
    let chosen: Start;
    try {
      chosen = formStart(start.value, offset.value, time.value);
    } catch (error) {
      problem.replaceChildren(errorBox(error));
      return;
    }
    go({
      partition: wholeNumber(partition.value),
      start: chosen,
      limit: wholeNumber(limit.value) ?? defaultLimit,
      binary: binary.value === 'base64' ? 'base64' : 'hex',
      filter: filter.value.trim(),
    });
  });
  return form;
}

/** The start the form chose: an offset or a time without a value is the beginning; a bad time is refused. */
function formStart(choice: string, offset: string, time: string): Start {
  if (choice === 'end') return { at: 'end' };
  if (choice === 'time' && time.trim() !== '') return { at: 'time', time: time.trim(), ms: parseTime(time) };
  const n = wholeNumber(offset);
  if (choice === 'offset' && n !== undefined) return { at: 'offset', offset: n };
  return { at: 'beginning' };
}

function shownCell(shown: Shown): HTMLElement {
  const body = shown.kind === 'json' || shown.text.includes('\n') ? h('pre', {}, shown.text) : h('span', {}, shown.text);
  return h('td', { class: `value ${shown.kind}` }, shown.kind === 'hex' || shown.kind === 'base64' ? h('span', { class: 'kind' }, `${shown.kind} `) : null, body);
}

function recordRow(r: Row, binary: BinaryView): HTMLTableRowElement {
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
}

function recordsTable(rows: readonly Row[], binary: BinaryView, caption: string): { table: HTMLElement; tbody: HTMLTableSectionElement; caption: HTMLElement } {
  const tbody = h('tbody', {}, ...rows.map((r) => recordRow(r, binary)));
  keyboardRows(tbody);
  const captionElement = h('caption', {}, caption);
  const table = h(
    'table',
    { class: 'records' },
    captionElement,
    h('thead', {}, h('tr', {}, ...['Partition', 'Offset', 'Timestamp', 'Key', 'Value', 'Headers'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  return { table, tbody, caption: captionElement };
}

const liveWaitMs = 10_000;

/**
 * The "Live" toggle (a button with aria-pressed): on, it long-polls each partition from
 * its end as of now and hands over what arrives; off, or when the page is left, it aborts
 * the polls in flight.
 */
function liveControl(client: SluiceClient, topic: string, partitions: readonly number[], where: string, leaving: AbortSignal, append: (rows: readonly Row[]) => void): HTMLElement {
  const button = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Live');
  const state = h('span', { 'aria-live': 'polite' });
  const problem = h('div', {});
  let running: AbortController | undefined;
  const stop = (): void => {
    running?.abort();
    running = undefined;
    button.setAttribute('aria-pressed', 'false');
  };
  const start = (): void => {
    const controller = new AbortController();
    running = controller;
    const signal = AbortSignal.any([controller.signal, leaving]);
    button.setAttribute('aria-pressed', 'true');
    problem.replaceChildren();
    state.textContent = `Live: waiting for new records in ${where}.`;
    let arrived = 0;
    const tail = async (partition: number, from: number): Promise<void> => {
      let offset = from;
      while (!signal.aborted) {
        const answer = await client.fetchRecords(topic, partition, { offset, waitMs: liveWaitMs, maxRecords: 500, encoding: 'base64' }, { signal });
        if (signal.aborted) return;
        if (answer.records.length > 0) {
          append(answer.records.map((r) => ({ ...r, partition })));
          arrived += answer.records.length;
          state.textContent = `Live: ${arrived} new record${arrived === 1 ? '' : 's'} in ${where}.`;
        }
        offset = answer.nextOffset;
      }
    };
    client
      .describeTopic(topic, { signal })
      .then((now) => Promise.all(partitions.map((p) => tail(p, now.partitions.find((x) => x.partition === p)?.highWatermark ?? 0))))
      .catch((error: unknown) => {
      if (signal.aborted) return;
      stop();
      state.textContent = 'Live stopped.';
      problem.replaceChildren(errorBox(error));
    });
  };
  button.addEventListener('click', () => {
    if (running) {
      stop();
      state.textContent = 'Live is off.';
    } else start();
  });
  leaving.addEventListener('abort', stop, { once: true });
  return h('div', { class: 'live' }, button, state, problem);
}
