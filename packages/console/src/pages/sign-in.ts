import { field, h } from '../dom';
import { navigate, type Route } from '../router';
import { session } from '../session';
import { errorBox, pageHeader } from '../components/ui';

/** Where a signed-in user starts: token search for issuers, clients for operators. */
export function homePath(): string {
  if (session.has('issuer:tokens')) return 'tokens';
  if (session.has('admin')) return 'admin/clients';
  return 'sign-in';
}

/** Sign-in with an issuer's or operator's client credentials (OAuth2 client credentials). */
export const signInPage: Route = {
  pattern: 'sign-in',
  title: 'Sign in',
  render(main) {
    const clientId = h('input', { name: 'clientId', autocomplete: 'username', required: true, spellcheck: false, autocapitalize: 'off' });
    const clientSecret = h('input', { name: 'clientSecret', type: 'password', autocomplete: 'current-password', required: true });
    const message = h('div', { class: 'form-message' });
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
    const form = h(
      'form',
      { class: 'card narrow', 'aria-describedby': 'sign-in-note' },
      field('Client id', clientId),
      field('Client secret', clientSecret),
      message,
      submit,
      h(
        'p',
        { id: 'sign-in-note', class: 'hint' },
        'Use an issuer client (customer service) or an admin client (operators). Only the session’s access token is kept, in this tab, until you sign out.',
      ),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      submit.disabled = true;
      message.replaceChildren();
      try {
        await session.signIn(clientId.value.trim(), clientSecret.value);
        clientSecret.value = '';
        const back = new URLSearchParams(location.search).get('next');
        navigate(back && !back.startsWith('/') && !back.includes(':') ? back : homePath(), { replace: true });
      } catch (error) {
        message.replaceChildren(errorBox(error));
        clientSecret.focus();
      } finally {
        submit.disabled = false;
      }
    });
    main.append(pageHeader('Sign in', 'Token console for issuer customer service and TSP operators.'), form);
  },
};
