// The training charts with earlier runs laid under the current one: each chosen run's train (solid) and
// test (dashed) curves in the run's own colour, named in the legend; the current run is drawn last, on
// top, and keeps moving live. The runs' curves are the thinned [[iteration, value]] a run record keeps
// (web/js/runs.js); the charts share one x axis, so every series is aligned on the union of iterations.

import { TrainingCharts, seriesOptions } from './charts.js';

const CURVES = { loss: ['trainLoss', 'testLoss'], accuracy: ['trainAcc', 'testAcc'] };

/**
 * Columns aligned on the union of x values: [x, ...each curve's values (null where it has none)].
 * @param {number[]} x  the current run's iterations
 * @param {Array<Array<number|null>>} columns  the current run's values, row for row with x
 * @param {Array<Array<[number, number]>>} curves  other series as [x, y] points
 */
export function alignSeries(x, columns, curves) {
  const xs = [...new Set([...x, ...curves.flatMap((c) => c.map((p) => p[0]))])].sort((a, b) => a - b);
  const at = (pairs) => { const m = new Map(pairs); return xs.map((v) => (m.has(v) ? m.get(v) : null)); };
  return [xs, ...curves.map(at), ...columns.map((col) => at(x.map((v, i) => [v, col[i]])))];
}

export class OverlayCharts extends TrainingCharts {
  /** @param {Array<{name: string, color: string, curves: object}>} runs  the runs to draw under this one */
  setOverlays(runs) {
    const same = (this.overlays || []).map((r) => `${r.id}:${r.name}`).join() === runs.map((r) => `${r.id}:${r.name}`).join();
    this.overlays = runs;
    if (same) return;
    const extra = {};
    for (const chart of Object.keys(CURVES)) {
      const unit = chart === 'loss' ? 'loss' : '%';
      extra[chart] = runs.flatMap((run) => [
        seriesOptions(`${run.name} · train`, run.color, undefined, unit, 1.5),
        seriesOptions(`${run.name} · test`, run.color, [6, 3], unit, 1.5),
      ]);
    }
    this.loss.destroy();
    this.accuracy.destroy();
    this.build(extra);
    this.redraw();
    // A new uPlot lays out its legend in its first frame: show the latest values once it has.
    requestAnimationFrame(() => this.redraw());
  }

  chartData(name) {
    const current = super.chartData(name);
    const runs = this.overlays || [];
    if (!runs.length) return current;
    const [train, test] = CURVES[name];
    // A run keeps its curves as the charts show them (accuracy in percent).
    return alignSeries(current[0], current.slice(1), runs.flatMap((r) => [r.curves[train] || [], r.curves[test] || []]));
  }

  /** What each chart draws: [{label, points}] per series (a hook for the tests). */
  series() {
    return Object.fromEntries(['loss', 'accuracy'].map((name) => [name, this[name].series.slice(1).map((s, i) => ({
      label: s.label, points: this[name].data[i + 1].filter((v) => v != null).length,
    }))]));
  }
}
