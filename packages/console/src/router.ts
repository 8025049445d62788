/*
 * A tiny history router under the base path (`/console/`). Pages are matched by pattern
 * (`tokens/:tokenRef`), links inside the app are intercepted so navigation does not reload, and
 * focus moves to the new page's heading so keyboard and screen-reader users land on it.
 */

export const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Set when the user navigated again before this page finished loading. */
  signal: AbortSignal;
}

export interface Route {
  pattern: string;
  title: string;
  render(main: HTMLElement, context: RouteContext): void | Promise<void>;
}

let routes: Route[] = [];
let fallback: Route;
let onRendered: (route: Route) => void = () => undefined;
let current: AbortController | undefined;

/** `/console/tokens?x=1` from `tokens?x=1`. */
export function href(path: string): string {
  return `${BASE}/${path.replace(/^\//, '')}`;
}

/** Goes to an in-app path (`tokens/tok_…`), adding a history entry. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = href(path);
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  void render();
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return undefined;
  }
  return params;
}

/** Renders the page of the current URL into `<main>`. */
export async function render(): Promise<void> {
  const main = document.getElementById('main') as HTMLElement;
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  let route = fallback;
  let params: Record<string, string> = {};
  for (const candidate of routes) {
    const found = match(candidate.pattern, path);
    if (found) {
      route = candidate;
      params = found;
      break;
    }
  }
  current?.abort();
  current = new AbortController();
  document.title = `${route.title} · OpenTSP console`;
  main.replaceChildren();
  await route.render(main, { params, query: new URLSearchParams(location.search), signal: current.signal });
  onRendered(route);
  (main.querySelector('h1') ?? main).setAttribute('tabindex', '-1');
  (main.querySelector<HTMLElement>('h1') ?? main).focus({ preventScroll: false });
}

/** Installs the routes and starts listening to links and the back button. */
export function startRouter(table: Route[], notFound: Route, rendered: (route: Route) => void): void {
  routes = table;
  fallback = notFound;
  onRendered = rendered;
  window.addEventListener('popstate', () => void render());
  document.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest?.('a');
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(`${BASE}/`) || link.target) return;
    event.preventDefault();
    navigate(url.pathname.slice(BASE.length + 1) + url.search);
  });
  void render();
}
