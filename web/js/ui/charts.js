// Live training curves with uPlot: loss and accuracy against iteration, train and test series.
// Every iteration/evaluation event becomes a point, but the charts are redrawn at a bounded
// rate (REDRAW_MS) so a fast network cannot keep the main thread busy.

import uPlot from '../../vendor/uplot/uPlot.esm.js';
import { describeChart } from './chart-text.js';

const REDRAW_MS = 250;
const HEIGHT = 220;
const DRAWS_KEPT = 2000;  // the record of redraws keeps the latest ones: a long run must not grow it

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export class TrainingCharts {
  /**
   * @param {{loss: HTMLElement, accuracy: HTMLElement, empty?: HTMLElement}} hosts
   */
  constructor({ loss, accuracy, empty }) {
    this.hosts = { loss, accuracy };
    this.emptyNote = empty || null;
    this.trainColor = cssVar('--train', '#2f5bd3');
    this.testColor = cssVar('--test', '#d9731a');
    this.reset();
    this.build();
    this.timer = null;
    if ('ResizeObserver' in window) {
      const ro = new ResizeObserver(() => this.fit());
      ro.observe(loss);
      ro.observe(accuracy);
    }
  }

  /** Both charts; `extra` = {loss: [...], accuracy: [...]} series drawn under the current run's. */
  build(extra = { loss: [], accuracy: [] }) {
    const { loss, accuracy } = this.hosts;
    this.loss = this.makeChart(loss, 'loss', (u, v) => v.map((x) => (x == null ? '' : fmtNum(x))), null, extra.loss);
    this.accuracy = this.makeChart(accuracy, '%', (u, v) => v.map((x) => (x == null ? '' : `${x}%`)), [0, 100], extra.accuracy);
  }

  /** A chart of the current run's train and test series, drawn after (over) the `extra` series before them. */
  makeChart(host, unit, axisValues, fixedRange, extra = []) {
    const opts = {
      width: Math.max(200, host.clientWidth || 300),
      height: HEIGHT,
      scales: {
        // Before the first point, show iterations 0..10 rather than a stale range.
        x: { time: false, range: (u, min, max) => (min == null ? [0, 10] : min === max ? [Math.max(0, min - 1), min + 1] : [min, max]) },
        y: fixedRange ? { range: fixedRange } : { range: (u, min, max) => niceRange(min, max) },
      },
      axes: [
        // Whole iterations only on the x axis (no "2.5").
        { label: 'iterations completed', labelSize: 18, size: 36, incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000], stroke: '#5b6474', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#dde1e7' } },
        { values: axisValues, size: 48, stroke: '#5b6474', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#dde1e7' } },
      ],
      series: [
        { label: 'after', value: (u, v) => (v == null ? '–' : `${v} it.`) },
        ...extra,
        seriesOptions('train', this.trainColor, undefined, unit),
        seriesOptions('test', this.testColor, [6, 3], unit),
      ],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    };
    return new uPlot(opts, [[], ...extra.map(() => []), [], []], host);
  }

  /** Forget every point (new training run or reset). */
  reset() {
    this.x = [];
    this.trainLoss = [];
    this.testLoss = [];
    this.trainAcc = [];
    this.testAcc = [];
    this.rowOf = new Map();
    this.dirty = true;
    this.drawn = [];
    if (this.loss) this.redraw();
  }

  row(iteration) {
    let r = this.rowOf.get(iteration);
    if (r !== undefined) return r;
    // Iterations arrive in order; keep the arrays sorted anyway in case an evaluation is late.
    r = this.x.length;
    if (r > 0 && this.x[r - 1] > iteration) {
      r = this.x.findIndex((v) => v > iteration);
      for (const arr of [this.x, this.trainLoss, this.testLoss, this.trainAcc, this.testAcc]) arr.splice(r, 0, null);
      this.x[r] = iteration;
      this.rowOf = new Map(this.x.map((v, i) => [v, i]));
      return r;
    }
    this.x.push(iteration);
    this.trainLoss.push(null);
    this.testLoss.push(null);
    this.trainAcc.push(null);
    this.testAcc.push(null);
    this.rowOf.set(iteration, r);
    return r;
  }

  /** Add iteration / evaluation events (other event types are ignored). */
  add(events) {
    for (const e of events) {
      if (e.type !== 'iteration' && e.type !== 'evaluation') continue;
      // Python numbers iterations from 0; the x axis counts completed iterations, like the figures.
      const r = this.row(e.iteration + 1);
      if (isNum(e.train_loss)) this.trainLoss[r] = e.train_loss;
      if (isNum(e.train_accuracy)) this.trainAcc[r] = e.train_accuracy * 100;
      if (e.type === 'evaluation') {
        if (isNum(e.test_loss)) this.testLoss[r] = e.test_loss;
        if (isNum(e.test_accuracy)) this.testAcc[r] = e.test_accuracy * 100;
      }
      this.dirty = true;
    }
    this.schedule();
  }

  schedule() {
    if (this.timer !== null || !this.dirty) return;
    this.timer = setTimeout(() => {
      requestAnimationFrame(() => {
        this.timer = null;
        this.redraw();
      });
    }, REDRAW_MS);
  }

  /** Draw now (also used at the end of training so the last point is never left out). */
  redraw() {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    this.dirty = false;
    this.loss.setData(this.chartData('loss'));
    this.accuracy.setData(this.chartData('accuracy'));
    // When each redraw happened and how many points it showed: the tests and the bench read it to see
    // that the charts move while training (not only at its end), whatever the machine's speed.
    this.drawn.push([performance.now(), this.x.length]);
    if (this.drawn.length > DRAWS_KEPT) this.drawn.splice(0, this.drawn.length - DRAWS_KEPT);
    this.describe();
    // Unless the pointer is over a chart, the legend shows the latest values (not dashes).
    for (const chart of [this.loss, this.accuracy]) {
      const last = chart.data[0].length - 1;
      if (last >= 0 && !(chart.cursor.left >= 0)) chart.setLegend({ idx: last });
    }
    if (this.emptyNote) {
      const noLoss = this.x.length > 0 && !this.trainLoss.some(isNum) && !this.testLoss.some(isNum);
      this.emptyNote.hidden = this.x.length > 0 && !noLoss;
      this.emptyNote.textContent = noLoss
        ? 'This network reports no loss, only accuracy.'
        : 'The curves appear here once training starts.';
    }
  }

  /** uPlot's data for one chart: x, then each series (a subclass may add series before the current run's). */
  chartData(name) {
    return name === 'loss' ? [this.x, this.trainLoss, this.testLoss] : [this.x, this.trainAcc, this.testAcc];
  }

  /** The charts' text alternatives (web/js/ui/chart-text.js): their latest values, in words. */
  describe() {
    const { loss, accuracy } = this.hosts;
    loss.setAttribute('aria-label', describeChart('Loss', this.x,
      [{ name: 'train', values: this.trainLoss }, { name: 'test', values: this.testLoss }], fmtNum));
    accuracy.setAttribute('aria-label', describeChart('Accuracy', this.x,
      [{ name: 'train', values: this.trainAcc }, { name: 'test', values: this.testAcc }], (v) => `${v.toFixed(1)}%`));
  }

  fit() {
    for (const [name, host] of Object.entries(this.hosts)) {
      const w = Math.max(200, host.clientWidth);
      const chart = this[name];
      if (chart && chart.width !== w) chart.setSize({ width: w, height: HEIGHT });
    }
  }

  /** Number of drawn x values (what uPlot currently holds): a hook for tests. */
  points() {
    return this.loss.data[0].length;
  }

  /** [[ms since navigation, points shown]] for each redraw since the last reset (the latest ones). */
  draws() {
    return this.drawn.slice();
  }
}

/** A line's options: `unit` '%' or 'loss' says how its legend shows a value. */
export function seriesOptions(label, color, dash, unit, width = 2) {
  return {
    label, stroke: color, width, spanGaps: true, dash,
    points: { show: (u) => u.data[0].length < 40, size: 5 },
    value: (u, v) => (v == null ? '–' : unit === '%' ? `${v.toFixed(1)}%` : fmtNum(v)),
  };
}

function isNum(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

function fmtNum(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

function niceRange(min, max) {
  if (min == null || max == null) return [0, 1];
  if (min === max) return [Math.max(0, min - 1), max + 1];
  const pad = (max - min) * 0.05;
  return [Math.max(0, min - pad), max + pad];
}
