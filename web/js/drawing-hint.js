// Which network reads drawings. The notebook's networks learn MNIST from a thousand digits and read many
// drawn digits wrong; the `drawing` preset is made for drawings. The drawing panel says so whenever the
// model that reads the pad is not that network, with one click to choose it in the form (the page's
// default preset stays the notebook's first network: the page is the notebook's companion).

const DRAWING = 'drawing';

export class DrawingHint {
  /**
   * @param {import('./trainer-client.js').TrainerClient} client
   * @param {import('./ui/params-form.js').ParamsForm} form
   * @param {{hint: HTMLElement, text: HTMLElement, choose: HTMLButtonElement, train: HTMLElement}} els
   */
  constructor(client, form, els) {
    Object.assign(this, { client, form, els });
    els.choose.addEventListener('click', () => this.choose());
    form.els.select.addEventListener('change', () => this.render());
    client.addEventListener('change', () => this.render());
    client.addEventListener('ready', () => this.render());
  }

  choose() {
    const { select } = this.form.els;
    select.value = DRAWING;
    this.form.renderPreset();
    this.render();
    this.els.train.scrollIntoView({ block: 'nearest' });
  }

  render() {
    const { client, form, els } = this;
    const offered = form.presets.some((p) => p.name === DRAWING);
    const reader = client.permits('predict') && client.session ? client.session.preset : null;
    els.hint.hidden = !offered || client.runtime !== 'ready' || reader === DRAWING;
    if (els.hint.hidden) return;
    const chosen = form.els.select.value === DRAWING;
    const why = reader
      ? `This ${reader} network is one of the notebook's: it learnt MNIST alone and misreads many drawn digits.`
      : 'The notebook\'s networks learn MNIST alone and misread many drawn digits.';
    els.text.textContent = `${why} The drawing network is made for drawings${chosen
      ? ': it is chosen, press Train (it trains for about a minute).' : '.'}`;
    els.choose.hidden = chosen || !client.can('train');
  }
}
