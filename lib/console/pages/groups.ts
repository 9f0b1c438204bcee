/**
 * Consumer groups: the list (state, members, total lag) and one group (its members, each
 * partition's committed offset, end offset and lag), with a reset of its offsets that
 * shows the plan first (a dry run) and sets it only on a second, explicit button, and a
 * confirmed delete. Lag is the API's: high watermark minus committed offset.
 */
import type { GroupDescription, GroupSummary, ResetOffsetsResponse, ResetTarget } from '../../client/types.ts';
import { confirmDialog, errorBox, field, h } from '../dom.ts';
import { resetTarget, type ResetChoice } from '../format.ts';
import { groupHref, topicHref, type Page, type PageContext } from '../page.ts';
import { keyboardRows } from '../table.ts';

/** A table with a caption, column headers and keyboard-navigable rows. */
export function dataTable(caption: string, columns: readonly string[], rows: readonly HTMLTableRowElement[], attrs: Record<string, string> = {}): HTMLTableElement {
  const tbody = h('tbody', {}, ...rows);
  keyboardRows(tbody);
  return h('table', attrs, h('caption', {}, caption), h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))), tbody);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const lagText = (lag: number | null): string => (lag === null ? '–' : String(lag));

/** Every group, and its description where it could be read (a group deleted meanwhile has none). */
async function describeAll(context: PageContext): Promise<{ groups: readonly GroupSummary[]; described: Array<GroupDescription | undefined> }> {
  const { groups } = await context.client.listGroups({ signal: context.signal });
  const described = await Promise.all(groups.map((g) => context.client.describeGroup(g.group, { signal: context.signal }).catch(() => undefined)));
  return { groups, described };
}

export const groupsPage: Page = async (context) => {
  const { groups, described } = await describeAll(context);
  const rows = groups.map((summary, i) => {
    const group = described[i];
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: groupHref(summary.group) }, summary.group)),
      h('td', {}, group?.state ?? '?'),
      h('td', { class: 'num' }, summary.members),
      h('td', { class: 'num' }, group ? group.totalLag : '?'),
      h('td', {}, group ? [...new Set(group.partitions.map((p) => p.topic))].sort().join(', ') : '?'),
    );
  });
  return h(
    'section',
    {},
    h('h1', { tabindex: -1 }, 'Consumer groups'),
    groups.length === 0
      ? h('p', {}, 'No consumer groups yet: a group appears when a consumer with a group id joins or commits.')
      : dataTable(plural(groups.length, 'group'), ['Group', 'State', 'Members', 'Total lag', 'Topics'], rows),
  );
};

export const groupPage: Page = async (context) => {
  const name = context.params[0]!;
  const group = await context.client.describeGroup(name, { signal: context.signal });
  const topics = [...new Set(group.partitions.map((p) => p.topic))].sort();
  const memberRows = group.members.map((m) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('code', {}, m.memberId)),
      h('td', {}, m.clientId ?? m.instanceId ?? '–'),
      h('td', {}, m.host ?? '–'),
      h('td', {}, m.assignments.length === 0 ? 'none' : m.assignments.map((a) => `${a.topic}/${a.partition}`).join(', ')),
    ),
  );
  const partitionRows = group.partitions.map((p) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: topicHref(p.topic) }, p.topic)),
      h('td', { class: 'num' }, p.partition),
      h('td', { class: 'num' }, p.committedOffset ?? '–'),
      h('td', { class: 'num' }, p.highWatermark),
      h('td', { class: 'num' }, lagText(p.lag)),
      h('td', {}, p.owner ? h('code', {}, p.owner) : '–'),
    ),
  );
  return h(
    'section',
    {},
    h('p', { class: 'crumbs' }, h('a', { href: '/groups' }, 'Consumer groups'), ' / '),
    h('h1', { tabindex: -1 }, `Group ${name}`),
    h('dl', { class: 'facts' }, h('dt', {}, 'State'), h('dd', {}, group.state), h('dt', {}, 'Members'), h('dd', {}, group.members.length), h('dt', {}, 'Total lag'), h('dd', {}, group.totalLag)),
    h('h2', {}, 'Members'),
    group.members.length === 0
      ? h('p', {}, 'No active members: the group is empty, so its offsets can be reset or it can be deleted.')
      : dataTable(plural(group.members.length, 'member'), ['Member', 'Client id', 'Host', 'Partitions'], memberRows),
    h('h2', {}, 'Offsets and lag'),
    group.partitions.length === 0
      ? h('p', {}, 'No committed offsets.')
      : dataTable(`${plural(group.partitions.length, 'partition')}, total lag ${group.totalLag}`, ['Topic', 'Partition', 'Committed offset', 'End offset', 'Lag', 'Owner'], partitionRows, {
          'aria-label': 'Offsets and lag',
        }),
    await resetForm(context, group, topics),
    h('h2', {}, 'Delete'),
    h(
      'p',
      {},
      'Deletes the group’s committed offsets and leases (refused while it has members). ',
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          onclick: () =>
            confirmDialog({
              title: `Delete group ${name}?`,
              text: 'Its committed offsets are deleted: a consumer joining again starts from its reset policy. This cannot be undone.',
              action: 'Delete',
              run: async () => {
                await context.client.deleteGroup(name);
                context.navigate('/groups');
                context.announce(`Deleted group ${name}.`);
              },
            }),
        },
        `Delete group ${name}`,
      ),
    ),
  );
};

/**
 * The reset form: "Preview reset" asks for a dry run and shows the plan with an "Execute
 * reset" button; changing the form drops the plan, so what runs is what was shown.
 */
async function resetForm(context: PageContext, group: GroupDescription, topics: readonly string[]): Promise<HTMLElement> {
  const all = await context.client
    .listTopics({ signal: context.signal })
    .then((r) => r.topics.map((t) => t.name))
    .catch(() => [] as string[]);
  const choices = [...topics, ...all.filter((t) => !topics.includes(t)).sort()];
  const topic = h('select', { name: 'topic', required: true }, ...choices.map((t) => h('option', { value: t }, t)));
  const to = h(
    'select',
    { name: 'to' },
    h('option', { value: 'earliest' }, 'Earliest'),
    h('option', { value: 'latest' }, 'Latest'),
    h('option', { value: 'offset' }, 'Offset'),
    h('option', { value: 'time' }, 'Time'),
    h('option', { value: 'shift' }, 'Shift by'),
  );
  const value = h('input', { name: 'value', autocomplete: 'off' });
  const valueField = field('Value', value, "offset: N; time: ISO 8601 ('2024-05-01T12:00:00Z') or ms; shift by: N, negative goes back");
  const plan = h('div', { 'aria-live': 'polite' });
  const preview = h('button', { type: 'submit' }, 'Preview reset');
  const form = h('form', { 'aria-labelledby': 'reset-title' }, h('h2', { id: 'reset-title' }, 'Reset offsets'), field('Topic', topic), field('Reset to', to), valueField, preview, plan);
  const syncValue = (): void => {
    const needs = to.value === 'offset' || to.value === 'time' || to.value === 'shift';
    valueField.hidden = !needs;
    value.required = needs;
  };
  syncValue();
  form.addEventListener('input', () => plan.replaceChildren());
  to.addEventListener('change', syncValue);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    plan.replaceChildren();
    let target: ResetTarget;
    try {
      target = resetTarget(to.value as ResetChoice, value.value);
    } catch (error) {
      plan.replaceChildren(errorBox(error));
      return;
    }
    const request = { topic: topic.value, to: target };
    preview.disabled = true;
    context.client
      .resetGroupOffsets(group.group, { ...request, dryRun: true })
      .then((answer) => plan.replaceChildren(planView(context, group, answer, () => context.client.resetGroupOffsets(group.group, { ...request, dryRun: false }))))
      .catch((error: unknown) => plan.replaceChildren(errorBox(error)))
      .finally(() => (preview.disabled = false));
  });
  return form;
}

function planView(context: PageContext, group: GroupDescription, answer: ResetOffsetsResponse, execute: () => Promise<ResetOffsetsResponse>): HTMLElement {
  const committed = (topic: string, partition: number): number | null =>
    group.partitions.find((p) => p.topic === topic && p.partition === partition)?.committedOffset ?? null;
  const rows = answer.offsets.map((o) =>
    h('tr', {}, h('th', { scope: 'row' }, o.topic), h('td', { class: 'num' }, o.partition), h('td', { class: 'num' }, committed(o.topic, o.partition) ?? '–'), h('td', { class: 'num' }, o.offset)),
  );
  const problem = h('div', {});
  const run = h('button', { type: 'button', class: 'danger' }, 'Execute reset');
  run.addEventListener('click', () => {
    run.disabled = true;
    problem.replaceChildren();
    execute()
      .then((done) => {
        context.refresh();
        context.announce(`Reset ${plural(done.offsets.length, 'partition')} of group ${group.group}.`);
      })
      .catch((error: unknown) => {
        run.disabled = false;
        problem.replaceChildren(errorBox(error));
      });
  });
  return h(
    'div',
    { class: 'plan' },
    dataTable(`Plan: ${plural(answer.offsets.length, 'partition')} (nothing is changed until you execute it)`, ['Topic', 'Partition', 'Committed offset', 'New offset'], rows, { 'aria-label': 'Reset plan' }),
    problem,
    run,
  );
}

/** The groups that have committed offsets on a topic, and their lag on it: for the topic page. */
export async function topicGroups(context: PageContext, topic: string): Promise<HTMLElement> {
  const { described } = await describeAll(context);
  const consuming = described.filter((g): g is GroupDescription => g !== undefined && g.partitions.some((p) => p.topic === topic));
  const rows = consuming.map((g) => {
    const mine = g.partitions.filter((p) => p.topic === topic);
    const lag = mine.reduce((sum, p) => sum + (p.lag ?? 0), 0);
    return h('tr', {}, h('th', { scope: 'row' }, h('a', { href: groupHref(g.group) }, g.group)), h('td', {}, g.state), h('td', { class: 'num' }, g.members.length), h('td', { class: 'num' }, lag));
  });
  return h(
    'div',
    {},
    h('h2', { id: 'topic-groups' }, 'Consumer groups'),
    consuming.length === 0
      ? h('p', {}, 'No group has committed offsets on this topic.')
      : dataTable(`${plural(consuming.length, 'group')} consuming ${topic}`, ['Group', 'State', 'Members', 'Lag on this topic'], rows, { 'aria-labelledby': 'topic-groups' }),
  );
}
