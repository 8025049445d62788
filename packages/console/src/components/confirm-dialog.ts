import { h } from '../dom';

/*
 * Confirmation as a native modal <dialog>: the browser traps focus inside, Escape cancels, and
 * focus returns to the button that opened it. The confirm button is not the default focus, so
 * an Enter pressed by habit does not change a token.
 */

export interface ConfirmOptions {
  title: string;
  /** What will happen, in the reader's words. */
  body: (Node | string)[];
  confirmLabel: string;
  /** Red confirm button (delete). */
  danger?: boolean;
}

/** Resolves true when the user confirms, false on cancel or Escape. */
export function confirmDialog(options: ConfirmOptions): Promise<boolean> {
  const opener = document.activeElement as HTMLElement | null;
  const titleId = `dlg-${Math.random().toString(36).slice(2, 9)}`;
  const cancel = h('button', { type: 'button', class: 'secondary', value: 'cancel' }, 'Cancel');
  const confirm = h('button', { type: 'button', class: options.danger ? 'danger' : 'primary', value: 'confirm' }, options.confirmLabel);
  const dialog = h(
    'dialog',
    { 'aria-labelledby': titleId, class: 'confirm' },
    h('h2', { id: titleId }, options.title),
    h('div', { class: 'dialog-body' }, ...options.body),
    h('div', { class: 'actions' }, cancel, confirm),
  );
  document.body.appendChild(dialog);
  return new Promise((resolve) => {
    const finish = (answer: boolean): void => {
      dialog.close();
      dialog.remove();
      opener?.focus();
      resolve(answer);
    };
    cancel.addEventListener('click', () => finish(false));
    confirm.addEventListener('click', () => finish(true));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(false);
    });
    dialog.showModal();
    cancel.focus();
  });
}
