/** What a console page gets and gives: the client, its URL's parts, and navigation. */
import type { SluiceClient } from '../client/client.ts';

export interface PageContext {
  readonly client: SluiceClient;
  /** The path's parameters, decoded (a topic name). */
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  navigate(to: string, options?: { replace?: boolean }): void;
  /** Draws the current URL again (after a change the page made). */
  refresh(): void;
  /** Says what just happened in the page's status line, which stays until the next navigation. */
  announce(text: string): void;
}

/** A page: renders its content for the context (errors thrown are shown by the router). */
export type Page = (context: PageContext) => Promise<Node>;

/** A topic's console path: `/topics/{name}` plus a sub-page. */
export function topicHref(name: string, sub = ''): string {
  return `/topics/${encodeURIComponent(name)}${sub ? `/${sub}` : ''}`;
}
