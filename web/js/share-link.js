// The page's address follows the form: opening a link fills the form (web/js/links.js reads it), every
// change of the form rewrites the address in place (no reload, no history entry per keystroke), and
// "Copy link" copies it. What a link got wrong is said next to the form.

import { linkQuery, readLink } from './links.js';

export class ShareLink {
  /**
   * @param {import('./trainer-client.js').TrainerClient} client
   * @param {{form: import('./ui/params-form.js').ParamsForm, trainForm: HTMLFormElement,
   *          copyButton: HTMLButtonElement, note: HTMLElement}} parts
   */
  constructor(client, { form, trainForm, copyButton, note }) {
    Object.assign(this, { form, copyButton, note });
    // After the session panel has filled the form with the presets (it listens first).
    client.addEventListener('ready', () => this.apply(), { once: true });
    trainForm.addEventListener('input', () => this.follow());
    trainForm.addEventListener('change', () => this.follow());
    copyButton.addEventListener('click', () => this.copy());
  }

  /** Fill the form from the address, once the presets are known. */
  apply() {
    const { form } = this;
    const { preset, values, notes } = readLink(location.search, form.presets);
    this.copyButton.disabled = false;
    if (preset) {
      form.typed[preset] = { ...form.typed[preset], ...values };
      form.els.select.value = preset;
      form.renderPreset();
      this.follow();
    }
    this.say(notes.join(' '), notes.length > 0);
  }

  /** The address says what the form says. */
  follow() {
    const preset = this.form.preset;
    if (!preset) return;
    const query = linkQuery(preset, this.form.raw(), location.search);
    if (query !== location.search) history.replaceState(history.state, '', `${location.pathname}${query}${location.hash}`);
  }

  async copy() {
    this.follow();
    const link = location.href;
    try {
      await navigator.clipboard.writeText(link);
      this.say('Link copied: it opens this page with these settings.');
    } catch {
      // No clipboard (an insecure origin, a refused permission): the link is shown to copy by hand.
      this.say(`Copy this link by hand: ${link}`);
    }
  }

  say(text, problem = false) {
    this.note.textContent = text;
    this.note.classList.toggle('invalid', problem);
    this.note.hidden = !text;
  }
}
