/**
 * The topics page: every topic with its partition count, record count (high watermark
 * minus log start, summed over partitions) and cleanup policy; a form to create one and a
 * confirmed delete.
 */
import type { TopicDescription } from '../../client/types.ts';
import { confirmDialog, errorBox, field, h } from '../dom.ts';
import { topicHref, type Page, type PageContext } from '../page.ts';
import { keyboardRows } from '../table.ts';

/** Records still readable in a topic: high watermark minus log start, summed. */
export function recordCount(topic: TopicDescription): number {
  return topic.partitions.reduce((sum, p) => sum + (p.highWatermark - p.logStartOffset), 0);
}

export const topicsPage: Page = async (context) => {
  const { topics } = await context.client.listTopics();
  const described = await Promise.all(topics.map((t) => context.client.describeTopic(t.name).catch(() => undefined)));

  const rows = topics.map((summary, i) => {
    const topic = described[i];
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: topicHref(summary.name) }, summary.name)),
      h('td', { class: 'num' }, summary.partitions),
      h('td', { class: 'num' }, topic ? recordCount(topic) : '?'),
      h('td', {}, topic?.config.cleanupPolicy ?? '?'),
      h(
        'td',
        {},
        h('a', { href: topicHref(summary.name, 'messages') }, 'Messages'),
        ' ',
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete topic ${summary.name}`, onclick: () => confirmDelete(context, summary.name) }, 'Delete'),
      ),
    );
  });
  const tbody = h('tbody', {}, ...rows);
  keyboardRows(tbody);
  const table =
    topics.length === 0
      ? h('p', {}, 'No topics yet: create one below.')
      : h(
          'table',
          {},
          h('caption', {}, `${topics.length} topic${topics.length === 1 ? '' : 's'}`),
          h('thead', {}, h('tr', {}, ...['Topic', 'Partitions', 'Records', 'Cleanup policy', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
          tbody,
        );

  return h('section', {}, h('h1', { tabindex: -1 }, 'Topics'), table, createForm(context));
};

function createForm(context: PageContext): HTMLElement {
  const name = h('input', { name: 'name', required: true, pattern: '[a-zA-Z0-9._\\-]+', maxlength: 249, autocomplete: 'off' });
  const partitions = h('input', { name: 'partitions', type: 'number', min: 1, value: 1, required: true });
  const cleanup = h('select', { name: 'cleanupPolicy' }, h('option', { value: 'delete' }, 'delete'), h('option', { value: 'compact' }, 'compact'));
  const retention = h('input', { name: 'retentionMs', type: 'number', min: -1, placeholder: 'default' });
  const message = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Create topic');
  const form = h(
    'form',
    { 'aria-labelledby': 'create-topic' },
    h('h2', { id: 'create-topic' }, 'Create a topic'),
    field('Name', name),
    field('Partitions', partitions),
    field('Cleanup policy', cleanup),
    field('Retention (ms)', retention, 'empty: the default; -1: keep forever'),
    submit,
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    message.replaceChildren();
    const config = { cleanupPolicy: cleanup.value as 'delete' | 'compact', ...(retention.value === '' ? {} : { retentionMs: Number(retention.value) }) };
    context.client
      .createTopic({ name: name.value.trim(), partitions: Number(partitions.value), config })
      .then((topic) => {
        context.navigate(topicHref(topic.name));
        context.announce(`Created topic ${topic.name}.`);
      })
      .catch((error: unknown) => message.replaceChildren(errorBox(error)))
      .finally(() => (submit.disabled = false));
  });
  return form;
}

/** Asks in a modal dialog, then deletes. */
function confirmDelete(context: PageContext, topic: string): void {
  confirmDialog({
    title: `Delete topic ${topic}?`,
    text: 'Its records are deleted with it. This cannot be undone.',
    action: 'Delete',
    run: async () => {
      await context.client.deleteTopic(topic);
      context.announce(`Deleted topic ${topic}.`);
      context.refresh();
    },
  });
}
