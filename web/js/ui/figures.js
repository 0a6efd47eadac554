// The current figures above the charts: iteration i/N, train and test accuracy, speed,
// plus a thin bar for progress through the batches of the current iteration.

const pct = (a) => `${(a * 100).toFixed(1)}%`;
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

export class FiguresView {
  constructor({ iteration, trainAcc, testAcc, speed, batchBar }) {
    Object.assign(this, { iterationEl: iteration, trainAcc, testAcc, speed, batchBar });
    this.total = null;
    this.reset();
  }

  /** @param {number|null} total  iterations planned for this run */
  reset(total = null) {
    this.total = total;
    this.done = 0;
    this.shown = [];  // [ms since navigation, completed iterations] each time the counter changed
    this.iterationEl.textContent = total ? `0 / ${total}` : '–';
    this.trainAcc.textContent = '–';
    this.testAcc.textContent = '–';
    this.speed.textContent = '–';
    this.batchBar.style.width = '0';
    for (const el of [this.trainAcc, this.testAcc]) delete el.dataset.value;
  }

  /** Python counts iterations from 0; people count finished ones. */
  setIteration(completed) {
    if (completed !== this.done && this.shown.length < 10_000) this.shown.push([performance.now(), completed]);
    this.done = completed;
    this.iterationEl.textContent = this.total ? `${completed} / ${this.total}` : String(completed);
    this.iterationEl.dataset.value = String(completed);
  }

  update(events) {
    for (const e of events) {
      if (e.type === 'batch') {
        if (isNum(e.batches) && e.batches > 0) this.batchBar.style.width = `${(100 * e.batch) / e.batches}%`;
        if (isNum(e.images_per_second)) this.setSpeed(e.images_per_second);
      } else if (e.type === 'iteration') {
        this.setIteration(e.iteration + 1);
        this.batchBar.style.width = '100%';
        if (isNum(e.train_accuracy)) this.setAcc(this.trainAcc, e.train_accuracy);
        if (isNum(e.images_per_second)) this.setSpeed(e.images_per_second);
      } else if (e.type === 'evaluation') {
        if (isNum(e.test_accuracy)) this.setAcc(this.testAcc, e.test_accuracy);
        if (isNum(e.train_accuracy)) this.setAcc(this.trainAcc, e.train_accuracy);
      } else if (e.type === 'done') {
        if (isNum(e.test_accuracy)) this.setAcc(this.testAcc, e.test_accuracy);
        if (isNum(e.train_accuracy)) this.setAcc(this.trainAcc, e.train_accuracy);
      }
    }
  }

  setAcc(el, a) {
    el.textContent = pct(a);
    el.dataset.value = String(a);
  }

  setSpeed(r) {
    this.speed.textContent = `${Math.round(r).toLocaleString('en-US')} img/s`;
  }
}
