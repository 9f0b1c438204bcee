/**
 * The topic page's changes: grow the partition count, and edit config keys. Both go to
 * `PATCH /v1/topics/{topic}`, which decides what is allowed: a count that is not larger,
 * or a value out of range, comes back as the API's error and is shown as it says.
 */
import type { AlterTopicRequest, TopicDescription } from '../../client/types.ts';
import { errorBox, field, h } from '../dom.ts';
import type { PageContext } from '../page.ts';
import { kafkaConfigNames } from '../../core/topic-config.ts';

/** Kafka's names for the API's config keys, in the order Kafka's tools show them. */
const configNames: Readonly<Record<string, string>> = kafkaConfigNames;

/** Keys with a fixed set of values get a select; the rest are numbers, typed. */
const choices: Readonly<Record<string, readonly string[]>> = {
  cleanupPolicy: ['delete', 'compact'],
  compressionType: ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'],
};

const hints: Readonly<Record<string, string>> = {
  retentionMs: '-1: keep forever',
  retentionBytes: '-1: no limit',
};

/** Sends the change, then draws the page again with the topic as it is now; an error stays in the form. */
function submitChange(context: PageContext, topic: string, form: HTMLFormElement, message: HTMLElement, change: () => AlterTopicRequest | undefined, done: () => string): void {
  const submit = form.querySelector('button[type=submit]') as HTMLButtonElement;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    message.replaceChildren();
    const request = change();
    if (request === undefined) {
      message.replaceChildren(h('p', {}, 'Nothing changed.'));
      return;
    }
    submit.disabled = true;
    const said = done();
    context.client
      .alterTopic(topic, request)
      .then(() => {
        context.announce(said);
        context.refresh();
      })
      .catch((error: unknown) => message.replaceChildren(errorBox(error)))
      .finally(() => (submit.disabled = false));
  });
}

/** A form to grow the partition count (Kafka never shrinks one: the API refuses a count not larger). */
export function partitionsForm(context: PageContext, topic: TopicDescription): HTMLElement {
  const count = h('input', { name: 'partitions', type: 'number', min: 1, required: true, value: topic.partitions.length });
  const message = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'inline', 'aria-labelledby': 'add-partitions' },
    h('h2', { id: 'add-partitions' }, 'Add partitions'),
    field('Partition count', count, 'larger than now: partitions are only added'),
    h('button', { type: 'submit' }, 'Add partitions'),
  );
  const wrapper = h('div', {}, form, message);
  submitChange(context, topic.name, form, message, () => ({ partitions: Number(count.value) }), () => `Topic ${topic.name} has ${count.value} partitions now.`);
  return wrapper;
}

/**
 * The topic's config as a form, each key under Kafka's name; saving sends only the keys
 * that changed. A number field's text is sent as a number when it is one and as typed
 * otherwise, so the API's own message says what is wrong with it.
 */
export function configForm(context: PageContext, topic: TopicDescription): HTMLElement {
  const current = topic.config as Readonly<Record<string, unknown>>;
  const keys = Object.keys(current).sort((a, b) => Object.keys(configNames).indexOf(a) - Object.keys(configNames).indexOf(b));
  const controls = keys.map((key) => {
    const value = String(current[key]);
    const options = choices[key];
    const control = options
      ? h('select', { name: key }, ...options.map((o) => h('option', { value: o, selected: o === value }, o)))
      : h('input', { name: key, type: 'text', inputmode: 'numeric', autocomplete: 'off', required: true, value });
    control.id = `config-${key}`;
    return { key, control, before: value };
  });
  const message = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'config', 'aria-labelledby': 'topic-config' },
    h('h2', { id: 'topic-config' }, 'Config'),
    ...controls.map(({ key, control }) => field(configNames[key] ?? key, control, hints[key])),
    h('button', { type: 'submit' }, 'Save config'),
  );
  submitChange(
    context,
    topic.name,
    form,
    message,
    () => {
      const changed = controls.filter(({ control, before }) => control.value.trim() !== before);
      if (changed.length === 0) return undefined;
      const config = Object.fromEntries(changed.map(({ key, control }) => [key, choices[key] || !/^-?\d+$/.test(control.value.trim()) ? control.value.trim() : Number(control.value.trim())]));
      return { config } as AlterTopicRequest;
    },
    () => `Saved the config of topic ${topic.name}.`,
  );
  return h('div', {}, form, message);
}
