/**
 * A small DOM builder for the console's pages: `h('button', { type: 'submit' }, 'Create')`.
 * Text goes in as text nodes, never as HTML, so a record's key or value cannot inject markup.
 */

type Attrs = Readonly<Record<string, string | number | boolean | undefined | ((event: Event) => void)>>;
export type Child = Node | string | number | null | undefined | false;

/** An element with attributes (`on*` functions become listeners; false/undefined are left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** A labelled form control: `<label for=id>text</label>` then the control, in one wrapper. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const id = control.id || `f-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  control.id = id;
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint === undefined ? null : h('small', { id: hintId }, hint));
}

/** An error as the user sees it: the API's code and message (`{error:{code,message}}`) when it has them. */
export function errorBox(error: unknown): HTMLElement {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return h('div', { class: 'error', role: 'alert' }, code ? h('strong', {}, `${code}: `) : null, message);
}

/**
 * Asks in a modal dialog (focus starts on Cancel, Escape cancels), then runs the action; its
 * error is shown in the dialog, which stays open so the user can read it or cancel.
 */
export function confirmDialog(options: { title: string; text: string; action: string; run: () => Promise<void> }): void {
  const titleId = `confirm-${Math.random().toString(36).slice(2)}`;
  const dialog = h('dialog', { 'aria-labelledby': titleId }, h('h2', { id: titleId }, options.title), h('p', {}, options.text));
  const problem = h('div', { 'aria-live': 'assertive' });
  const cancel = h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel');
  const go = h('button', { type: 'button', class: 'danger' }, options.action);
  go.addEventListener('click', () => {
    go.disabled = true;
    options
      .run()
      .then(() => dialog.close())
      .catch((error: unknown) => {
        go.disabled = false;
        problem.replaceChildren(errorBox(error));
      });
  });
  dialog.append(problem, h('div', { class: 'actions' }, cancel, go));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  cancel.focus();
}
