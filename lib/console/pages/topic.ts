/**
 * One topic: each partition's log start offset, sealed offset and high watermark, a form to add
 * partitions, its throughput while the page is open, the groups that consume it with
 * their lag, and the topic's config as a form to edit it.
 */
import { errorBox, h } from '../dom.ts';
import { topicHref, type Page } from '../page.ts';
import { keyboardRows } from '../table.ts';
import { topicGroups } from './groups.ts';
import { configForm, partitionsForm } from './topic-settings.ts';
import { throughputChart } from './throughput.ts';

export const topicPage: Page = async (context) => {
  const name = context.params[0]!;
  const topic = await context.client.describeTopic(name, { signal: context.signal });
  // A failure to list the groups leaves the rest of the page standing.
  const groups = await topicGroups(context, name).catch((error: unknown) => h('div', {}, h('h2', {}, 'Consumer groups'), errorBox(error)));
  const tbody = h(
    'tbody',
    {},
    ...topic.partitions.map((p) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, p.partition),
        h('td', { class: 'num' }, p.logStartOffset),
        // Below it, records are sealed into segments; from it on they are still in the tail.
        h('td', { class: 'num' }, p.sealedOffset ?? '?'),
        h('td', { class: 'num' }, p.highWatermark),
        h('td', { class: 'num' }, p.highWatermark - p.logStartOffset),
        h('td', {}, h('a', { href: `${topicHref(name, 'messages')}?partition=${p.partition}`, 'aria-label': `Messages of partition ${p.partition}` }, 'Messages')),
      ),
    ),
  );
  keyboardRows(tbody);
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
      h('thead', {}, h('tr', {}, ...['Partition', 'Log start offset', 'Sealed offset', 'High watermark', 'Records', 'Browse'].map((c) => h('th', { scope: 'col' }, c)))),
      tbody,
    ),
    partitionsForm(context, topic),
    throughputChart(context, topic),
    groups,
    configForm(context, topic),
  );
};
