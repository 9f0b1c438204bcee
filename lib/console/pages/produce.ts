/** The produce form: one record with a key, a value, headers and a partition (or the key's). */
import type { ProduceRecord } from '../../client/types.ts';
import { errorBox, field, h } from '../dom.ts';
import { parseHeaders } from '../format.ts';
import { topicHref, type Page } from '../page.ts';

export const producePage: Page = async (context) => {
  const name = context.params[0]!;
  const topic = await context.client.describeTopic(name);
  const key = h('input', { name: 'key', autocomplete: 'off' });
  const value = h('textarea', { name: 'value', rows: 8, spellcheck: false });
  const headers = h('textarea', { name: 'headers', rows: 3, spellcheck: false });
  const partition = h(
    'select',
    { name: 'partition' },
    h('option', { value: '' }, 'By key (or spread)'),
    ...topic.partitions.map((p) => h('option', { value: p.partition }, `Partition ${p.partition}`)),
  );
  const result = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Produce');
  const form = h(
    'form',
    { 'aria-label': 'Produce a record' },
    field('Key', key, 'empty: no key'),
    field('Value', value, 'text as written; JSON is shown pretty-printed in the message browser'),
    field('Headers', headers, "one per line, 'name: value'"),
    field('Partition', partition),
    submit,
    result,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    result.replaceChildren();
    let record: ProduceRecord;
    try {
      record = {
        key: key.value === '' ? null : key.value,
        value: value.value,
        headers: parseHeaders(headers.value),
        ...(partition.value === '' ? {} : { partition: Number(partition.value) }),
      };
    } catch (error) {
      result.replaceChildren(errorBox(error));
      return;
    }
    submit.disabled = true;
    context.client
      .produce(name, { records: [record] })
      .then(({ offsets }) => {
        const at = offsets[0]!;
        result.replaceChildren(
          h(
            'p',
            { class: 'ok' },
            `Produced to partition ${at.partition} at offset ${at.offset}. `,
            h('a', { href: `${topicHref(name, 'messages')}?partition=${at.partition}&offset=${at.offset}` }, 'See it in the messages'),
          ),
        );
      })
      .catch((error: unknown) => result.replaceChildren(errorBox(error)))
      .finally(() => (submit.disabled = false));
  });
  return h(
    'section',
    {},
    h('p', { class: 'crumbs' }, h('a', { href: '/topics' }, 'Topics'), ' / ', h('a', { href: topicHref(name) }, name), ' / '),
    h('h1', { tabindex: -1 }, `Produce to ${name}`),
    h('nav', { 'aria-label': 'Topic' }, h('a', { href: topicHref(name, 'messages') }, 'Browse messages')),
    form,
  );
};
