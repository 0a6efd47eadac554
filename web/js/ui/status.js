// Status card (state word, loading steps with a progress bar) and the error banner.
// The state word is kept to one word ("Ready", "Training…", "Paused", ...) so it is easy to
// read and to test; details go to the line below it.

export const LOAD_STEPS = [
  ['runtime', 'Pyodide runtime'],
  ['numpy', 'NumPy'],
  ['pynet', 'pynet'],
  ['data', 'MNIST digits'],
];

export class StatusView {
  constructor({ text, dot, progress, steps, detail, error, errorMessage, errorDismiss }) {
    Object.assign(this, { text, dot, progress, steps, detail, error, errorMessage });
    errorDismiss.addEventListener('click', () => this.clearError());
    this.stepItems = {};
  }

  /** Show the loading checklist from the start. */
  startLoading() {
    this.steps.replaceChildren(...LOAD_STEPS.map(([key, label]) => {
      const li = document.createElement('li');
      li.dataset.step = key;
      li.dataset.state = 'pending';
      li.textContent = label;
      this.stepItems[key] = li;
      return li;
    }));
    this.steps.hidden = false;
    this.progress.hidden = false;
    this.progress.value = 0;
    this.detail.textContent = '';
    this.set('loading', 'Loading…');
  }

  /** A loading step started or advanced. fraction is overall progress 0..1. */
  loading(step, fraction, note) {
    let seen = false;
    for (const [key, label] of LOAD_STEPS) {
      const li = this.stepItems[key];
      if (!li) continue;
      if (key === step) {
        seen = true;
        li.dataset.state = 'active';
        this.set('loading', `Loading ${label}…`);
      } else if (!seen) {
        li.dataset.state = 'done';
      }
    }
    if (typeof fraction === 'number') this.progress.value = Math.max(this.progress.value, fraction);
    if (note) this.detail.textContent = note;
  }

  /** Loading stopped at `step` (else at the step under way): it is marked failed. */
  loadFailed(step) {
    const failed = this.stepItems[step] || Object.values(this.stepItems).find((li) => li.dataset.state === 'active');
    if (failed) failed.dataset.state = 'failed';
    this.progress.hidden = true;
  }

  ready(detail) {
    for (const li of Object.values(this.stepItems)) li.dataset.state = 'done';
    this.progress.value = 1;
    this.progress.hidden = true;
    this.steps.hidden = true;
    this.detail.textContent = detail || '';
    this.set('ready', 'Ready');
  }

  /** Add a fact to the detail line (e.g. which libraries do the matrix products, once they load). */
  addDetail(text) {
    this.detail.textContent = [this.detail.textContent, text].filter(Boolean).join(' · ');
  }

  /** @param {string} state  loading|ready|training|paused|stopped|done|diverged|error */
  set(state, word, detail) {
    this.text.textContent = word;
    this.dot.dataset.state = state;
    document.body.dataset.state = state;
    if (detail !== undefined) this.detail.textContent = detail;
  }

  showError(message) {
    this.errorMessage.textContent = message;
    this.error.hidden = false;
  }

  clearError() {
    this.errorMessage.textContent = '';
    this.error.hidden = true;
  }
}

/** Python's messages are one line without a final stop; add one before appending more text. */
export function sentence(text) {
  const t = String(text || 'unknown error').trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
