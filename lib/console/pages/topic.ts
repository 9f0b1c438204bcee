/** One topic: each partition's log start offset and high watermark, and the topic's config. */
import { h } from '../dom.ts';
import { topicHref, type Page } from '../page.ts';
import { keyboardRows } from '../table.ts';

export const topicPage: Page = async (context) => {
  const name = context.params[0]!;
  const topic = await context.client.describeTopic(name);
  const tbody = h(
    'tbody',
    {},
    ...topic.partitions.map((p) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, p.partition),
        h('td', { class: 'num' }, p.logStartOffset),
        h('td', { class: 'num' }, p.highWatermark),
        h('td', { class: 'num' }, p.highWatermark - p.logStartOffset),
        h('td', {}, h('a', { href: `${topicHref(name, 'messages')}?partition=${p.partition}`, 'aria-label': `Messages of partition ${p.partition}` }, 'Messages')),
      ),
    ),
  );
  keyboardRows(tbody);
  const config = Object.entries(topic.config).sort(([a], [b]) => a.localeCompare(b));
  return h(
    'section',
    {},
    h('p', { class: 'crumbs' }, h('a', { href: '/topics' }, 'Topics'), ' / '),
    h('h1', { tabindex: -1 }, `Topic ${name}`),
    h('nav', { 'aria-label': 'Topic' }, h('a', { href: topicHref(name, 'messages') }, 'Browse messages'), ' ', h('a', { href: topicHref(name, 'produce') }, 'Produce a record')),
    h('p', {}, 'Topic id ', h('code', {}, topic.topicId)),
    h(
      'table',
      {},
      h('caption', {}, `${topic.partitions.length} partition${topic.partitions.length === 1 ? '' : 's'}`),
      h('thead', {}, h('tr', {}, ...['Partition', 'Log start offset', 'High watermark', 'Records', 'Browse'].map((c) => h('th', { scope: 'col' }, c)))),
      tbody,
    ),
    h('h2', {}, 'Config'),
    h('dl', { class: 'config' }, ...config.flatMap(([key, value]) => [h('dt', {}, key), h('dd', {}, String(value))])),
  );
};
