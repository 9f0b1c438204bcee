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
  /**
   * Aborted when the user leaves the page (or it is drawn again): whatever the page keeps
   * running (a live tail's long polls, a chart's sampling) stops with it.
   */
  readonly signal: AbortSignal;
}

/** A page: renders its content for the context (errors thrown are shown by the router). */
export type Page = (context: PageContext) => Promise<Node>;

/** A topic's console path: `/topics/{name}` plus a sub-page. */
export function topicHref(name: string, sub = ''): string {
  return `/topics/${encodeURIComponent(name)}${sub ? `/${sub}` : ''}`;
}

/** A consumer group's console path: `/groups/{group}`. */
export function groupHref(group: string): string {
  return `/groups/${encodeURIComponent(group)}`;
}
