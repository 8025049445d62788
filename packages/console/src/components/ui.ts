import { OpenTspError } from '@opentsp/wallet-sdk/browser';
import { h } from '../dom';
import { maskText, maskedJsonText } from '../mask';

/*
 * Small shared pieces: a data table, an error box, a status badge, a masked JSON block, a
 * loading line. Every value shown goes through `maskText`, whatever the page thought it was.
 */

export interface Column<T> {
  label: string;
  cell(row: T): Node | string | number | undefined;
}

/** A table with a caption (its accessible name); empty data shows `empty` instead. */
export function table<T>(caption: string, columns: Column<T>[], rows: readonly T[], empty = 'Nothing to show.'): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c.label)))),
      h(
        'tbody',
        {},
        ...rows.map((row) =>
          h('tr', {}, ...columns.map((c) => h('td', { 'data-label': c.label }, safe(c.cell(row))))),
        ),
      ),
    ),
  );
}

function safe(value: Node | string | number | undefined): Node | string {
  if (value === undefined) return '—';
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? maskText(value) : value;
}

/** A problem from the TSP (or any error) as an alert, with its code and request id for support. */
export function errorBox(error: unknown): HTMLElement {
  if (error instanceof OpenTspError) {
    // A failure the SDK detected itself (network, timeout) has a code but no HTTP status.
    return h(
      'div',
      { class: 'error', role: 'alert' },
      h('strong', {}, maskText(error.message)),
      h('span', { class: 'meta' }, ` code ${error.code}${error.status ? ` · HTTP ${error.status}` : ''}${error.requestId ? ` · request ${error.requestId}` : ''}`),
    );
  }
  return h('div', { class: 'error', role: 'alert' }, maskText(error instanceof Error ? error.message : String(error)));
}

/** A status word with a colour class (`ACTIVE`, `SUSPENDED`, `dead`, …). */
export function badge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` }, status);
}

/** A masked JSON document in a scrollable, focusable block. */
export function jsonBlock(label: string, value: unknown): HTMLElement {
  return h('pre', { class: 'json', tabindex: 0, 'aria-label': label }, maskedJsonText(value));
}

/** Runs `load` and shows its result, or the error, in place of a loading line. */
export async function loadInto(container: HTMLElement, load: () => Promise<Node>): Promise<void> {
  const status = h('p', { class: 'loading', role: 'status' }, 'Loading…');
  container.replaceChildren(status);
  try {
    container.replaceChildren(await load());
  } catch (error) {
    container.replaceChildren(errorBox(error));
  }
}

/** The page heading and an optional intro line. */
export function pageHeader(title: string, intro?: string): HTMLElement {
  return h('div', { class: 'page-header' }, h('h1', {}, title), intro ? h('p', { class: 'intro' }, intro) : null);
}
