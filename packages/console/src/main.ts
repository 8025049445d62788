import './styles.css';
import { h, replaceChildren } from './dom';
import { href, navigate, render, startRouter, type Route } from './router';
import { session } from './session';
import { pageHeader } from './components/ui';
import { clientsPage, issuersPage } from './pages/admin-parties';
import { keysPage, riskPage, webhooksPage } from './pages/admin-operations';
import { demoPage } from './pages/demo';
import { phonePage } from './pages/phone';
import { searchPage } from './pages/search';
import { homePath, signInPage } from './pages/sign-in';
import { tokenPage } from './pages/token';

/*
 * Entry point: the route table, the sign-in guard (each page names the scope it needs) and the
 * navigation, which shows only what the signed-in client may open.
 */

/** A page that needs a scope: without a session it sends the user to sign in, then back. */
function guarded(route: Route, scope: string): Route {
  return {
    ...route,
    render(main, context) {
      if (!session.current()) {
        const next = location.pathname.slice(href('').length) + location.search;
        navigate(`sign-in?next=${encodeURIComponent(next)}`, { replace: true });
        return;
      }
      if (!session.has(scope)) {
        main.append(pageHeader('Not allowed'), h('p', {}, `This page needs the ${scope} scope; the signed-in client does not have it.`));
        return;
      }
      return route.render(main, context);
    },
  };
}

const home: Route = {
  pattern: '',
  title: 'Home',
  render() {
    navigate(session.current() ? homePath() : 'sign-in', { replace: true });
  },
};

const notFound: Route = {
  pattern: '*',
  title: 'Not found',
  render(main) {
    main.append(pageHeader('Page not found'), h('p', {}, h('a', { href: href('') }, 'Go to the start page')));
  },
};

const NAV: { path: string; label: string; scope?: string }[] = [
  { path: 'tokens', label: 'Tokens', scope: 'issuer:tokens' },
  { path: 'admin/clients', label: 'Clients', scope: 'admin' },
  { path: 'admin/issuers', label: 'Issuers', scope: 'admin' },
  { path: 'admin/keys', label: 'Keys', scope: 'admin' },
  { path: 'admin/risk', label: 'Risk rules', scope: 'admin' },
  { path: 'admin/webhooks', label: 'Dead webhooks', scope: 'admin' },
  { path: 'demo', label: 'Demo' },
  { path: 'phone', label: 'Sandbox phone' },
];

function renderNav(): void {
  const nav = document.getElementById('nav') as HTMLElement;
  const current = session.current();
  const here = location.pathname;
  const links = NAV.filter((item) => !item.scope || session.has(item.scope)).map((item) => {
    const url = href(item.path);
    return h('li', {}, h('a', { href: url, 'aria-current': here === url || here.startsWith(`${url}/`) ? 'page' : undefined }, item.label));
  });
  const account = current
    ? h(
        'li',
        { class: 'account' },
        h('span', { class: 'who' }, current.clientId),
        h('button', { type: 'button', class: 'secondary', onclick: () => { session.signOut(); navigate('sign-in'); } }, 'Sign out'),
      )
    : h('li', {}, h('a', { href: href('sign-in') }, 'Sign in'));
  replaceChildren(nav, h('ul', {}, ...links, account));
}

session.onChange(() => {
  renderNav();
  // The session ended under the user (token expired): the current page can no longer load.
  if (!session.current() && !location.pathname.startsWith(href('sign-in')) && !location.pathname.startsWith(href('demo')) && !location.pathname.startsWith(href('phone'))) void render();
});

startRouter(
  [
    home,
    signInPage,
    demoPage,
    phonePage,
    guarded(searchPage, 'issuer:tokens'),
    guarded(tokenPage, 'issuer:tokens'),
    guarded(clientsPage, 'admin'),
    guarded(issuersPage, 'admin'),
    guarded(keysPage, 'admin'),
    guarded(riskPage, 'admin'),
    guarded(webhooksPage, 'admin'),
  ],
  notFound,
  renderNav,
);
