/**
 * The web console's entry: a small router on the History API over pages that render DOM.
 * Every page's state is in its URL (`/topics/orders/messages?partition=0&offset=10`), so
 * any view can be bookmarked, reloaded or shared; the server answers index.html for these
 * paths and this router draws the page.
 */
import { SluiceClient } from '../client/client.ts';
import { errorBox, h } from './dom.ts';
import { groupPage, groupsPage } from './pages/groups.ts';
import { messagesPage } from './pages/messages.ts';
import { producePage } from './pages/produce.ts';
import { topicPage } from './pages/topic.ts';
import { topicsPage } from './pages/topics.ts';
import type { Page, PageContext } from './page.ts';

// Same origin, so no CORS; unsigned, since `sluice local` checks no signatures (and the
// browser has no AWS credential chain: see build.ts).
const client = new SluiceClient({ endpoint: location.origin, signing: false, retries: 1 });

interface Route {
  readonly pattern: RegExp;
  readonly page: Page;
}

const routes: readonly Route[] = [
  { pattern: /^\/(?:topics\/?)?$/, page: topicsPage },
  { pattern: /^\/topics\/([^/]+)\/?$/, page: topicPage },
  { pattern: /^\/topics\/([^/]+)\/messages\/?$/, page: messagesPage },
  { pattern: /^\/topics\/([^/]+)\/produce\/?$/, page: producePage },
  { pattern: /^\/groups\/?$/, page: groupsPage },
  { pattern: /^\/groups\/([^/]+)\/?$/, page: groupPage },
];

const main = document.getElementById('main')!;
/** One live region for the whole app: a region inserted with its text is often not read out. */
const notice = document.getElementById('notice')!;
/** Bumped per render, so a slow page that finishes after the user moved on is dropped. */
let generation = 0;
/** The drawn page's signal: aborted when the next render starts, so nothing of a left page keeps running. */
let leaving = new AbortController();

async function render(): Promise<void> {
  const mine = ++generation;
  leaving.abort();
  leaving = new AbortController();
  const signal = leaving.signal;
  const url = new URL(location.href);
  const route = routes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).find((x) => x.m !== null);
  main.setAttribute('aria-busy', 'true');
  let content: Node;
  if (!route) {
    content = h('section', {}, h('h1', { tabindex: -1 }, 'Not found'), h('p', {}, `No page at ${url.pathname}. `, h('a', { href: '/topics' }, 'See the topics')));
  } else {
    const context: PageContext = {
      client,
      params: route.m!.slice(1).map((p) => decodeURIComponent(p)),
      query: url.searchParams,
      navigate,
      refresh: () => void render(),
      announce: (text) => (notice.textContent = text),
      signal,
    };
    try {
      content = await route.r.page(context);
    } catch (error) {
      content = h('section', {}, h('h1', { tabindex: -1 }, 'Something went wrong'), errorBox(error));
    }
  }
  if (mine !== generation) return;
  main.replaceChildren(content);
  main.removeAttribute('aria-busy');
  // The main navigation marks the section the page belongs to.
  for (const link of document.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    if (url.pathname.startsWith(link.pathname)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const heading = main.querySelector('h1');
  document.title = heading ? `${heading.textContent} · Sluice` : 'Sluice';
  // Move focus to the new page's heading, as a screen reader user expects after navigation.
  if (heading instanceof HTMLElement && document.activeElement !== heading && !main.contains(document.activeElement)) heading.focus({ preventScroll: true });
}

/** Goes to a console URL (path and query) without reloading, and draws it. */
function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  (document.activeElement as HTMLElement | null)?.blur?.();
  notice.textContent = '';
  void render();
}

// Same-origin links navigate in place; modified clicks (new tab, ...) keep the browser's way.
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = (event.target as Element | null)?.closest?.('a');
  if (!link || link.target || link.hasAttribute('download') || link.origin !== location.origin || link.pathname.startsWith('/v1/')) return;
  event.preventDefault();
  navigate(link.pathname + link.search);
});
window.addEventListener('popstate', () => {
  notice.textContent = '';
  void render();
});

if (location.pathname === '/') history.replaceState(null, '', '/topics');
void render();
