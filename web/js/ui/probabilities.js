// Ten probability bars (one per digit) and the top answer. The bar container holds exactly ten
// children while a prediction is shown and none otherwise; each child carries data-digit and
// data-p (the probability as a decimal string) so the values can be read without parsing text.

export class ProbabilityView {
  /**
   * @param {{bars: HTMLElement, prediction: HTMLElement, hint: HTMLElement}} els
   */
  constructor({ bars, prediction, hint }) {
    this.bars = bars;
    this.prediction = prediction;
    this.hint = hint;
    this.rows = null;
    this.onRead = () => {};   // (digit, or null once nothing is read) => void: who listens to the answer
  }

  build() {
    this.bars.replaceChildren();
    this.rows = [];
    for (let d = 0; d < 10; d++) {
      const row = document.createElement('div');
      row.className = 'prob';
      row.setAttribute('role', 'listitem');
      row.dataset.digit = String(d);
      row.innerHTML = `<span class="label">${d}</span><span class="track"><span class="fill"></span></span><span class="value"></span>`;
      this.bars.append(row);
      this.rows.push({ row, fill: row.querySelector('.fill'), value: row.querySelector('.value') });
    }
  }

  /** @param {number[]} probabilities  ten values summing to 1 @param {number} digit */
  show(probabilities, digit) {
    if (!this.rows) this.build();
    probabilities.forEach((p, d) => {
      const { row, fill, value } = this.rows[d];
      row.dataset.p = String(p);
      row.classList.toggle('top', d === digit);
      row.setAttribute('aria-label', `${d}: ${(p * 100).toFixed(1)}%`);
      fill.style.width = `${(p * 100).toFixed(2)}%`;
      value.textContent = `${(p * 100).toFixed(1)}%`;
    });
    const conf = probabilities[digit] * 100;
    this.prediction.innerHTML = '';
    const big = document.createElement('span');
    big.className = 'digit';
    big.textContent = String(digit);
    const small = document.createElement('span');
    small.className = 'confidence';
    small.textContent = `${conf.toFixed(conf >= 99.95 ? 0 : 1)}% sure`;
    // A paragraph cannot be named with aria-label: a screen reader reads this sentence instead of the parts.
    big.setAttribute('aria-hidden', 'true');
    small.setAttribute('aria-hidden', 'true');
    const said = document.createElement('span');
    said.className = 'visually-hidden';
    said.textContent = `The network reads ${digit}, ${small.textContent}.`;
    this.prediction.append(big, ' ', small, said);
    this.prediction.dataset.digit = String(digit);
    this.hint.hidden = true;
    this.onRead(digit);
  }

  /** Empty bars and answer; an optional hint explains why (no model yet, nothing drawn...). */
  clear(hint) {
    this.bars.replaceChildren();
    this.rows = null;
    this.prediction.textContent = '';
    delete this.prediction.dataset.digit;
    if (hint) {
      this.hint.textContent = hint;
      this.hint.hidden = false;
    } else {
      this.hint.hidden = true;
    }
    this.onRead(null);
  }
}
