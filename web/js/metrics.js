// Figures for the benchmark (bench/browser.py, bench/memory.py) and the curious, read through
// window.__pynet.metrics(): when Ready came (ms since navigation), how Python started ({from: 'snapshot' |
// 'default', note?}: web/js/snapshot.js), which library does the matrix products ('xnnpack', 'openblas' or
// 'numpy'), the current run's iteration/evaluation events, and latencies (ms) from a drawing's pointer
// input to the probability bars holding its prediction.

export const metrics = {};

/** A new worker: nothing measured yet. */
export function resetMetrics() {
  Object.assign(metrics, { readyAt: null, pythonStart: null, matmul: null, matmulThreads: null, tanh: null, events: [], predictLatencies: [] });
}

/** A Train click: the events of the run before it no longer count (tests wait for this run's). */
export function startRun() {
  metrics.events = [];
}

resetMetrics();
