// Page wiring: connects the worker client to the UI modules and keeps the button states in
// one place (applyState). All heavy work happens in the worker; the main thread only renders.

import { TrainerClient } from './trainer-client.js';
import { StatusView } from './ui/status.js';
import { ParamsForm } from './ui/params-form.js';
import { TrainingCharts } from './ui/charts.js';
import { FiguresView } from './ui/figures.js';
import { DrawPad } from './ui/draw-pad.js';
import { toMnist } from './ui/preprocess.js';
import { paintGray } from './ui/pixels.js';
import { ProbabilityView } from './ui/probabilities.js';
import { WeightsView } from './ui/weights-view.js';
import { SampleStrip } from './ui/sample-strip.js';

const $ = (id) => document.getElementById(id);
const WEIGHTS_EVERY_MS = 1000;
const SAMPLES_EVERY_MS = 3000;
const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
const HINT_NO_MODEL = 'Train or import a model to classify your drawing.';
const HINT_DRAW = 'Draw a digit in the box to see what the network thinks.';
const HINT_DIVERGED = 'Training diverged, so there is no usable model: train again with a smaller learning rate.';
const noModelHint = () => (phase === 'diverged' ? HINT_DIVERGED : HINT_NO_MODEL);

// ── UI modules ─────────────────────────────────────────────────────────────────────────────
const status = new StatusView({
  text: $('status'), dot: $('status-dot'), progress: $('load-progress'), steps: $('load-steps'),
  detail: $('status-detail'), error: $('error'), errorMessage: $('error-message'), errorDismiss: $('error-dismiss'),
});
const form = new ParamsForm({
  select: $('preset'), grid: $('params-grid'), fieldset: $('params'),
  network: $('preset-network'), description: $('preset-description'), cell: $('preset-cell'), summary: $('form-summary'),
}, () => applyState());
const charts = new TrainingCharts({ loss: $('chart-loss'), accuracy: $('chart-accuracy'), empty: $('chart-empty') });
const figures = new FiguresView({
  iteration: $('fig-iteration'), trainAcc: $('fig-train-acc'), testAcc: $('fig-test-acc'),
  speed: $('fig-speed'), batchBar: $('batch-bar'),
});
const probs = new ProbabilityView({ bars: $('probabilities'), prediction: $('prediction'), hint: $('predict-hint') });
const weightsView = new WeightsView($('weights'), $('weights-caption'));
const samples = new SampleStrip($('samples'));
const preview = $('preview');
const pad = new DrawPad($('draw-canvas'), {
  // Straight to the network, not via the next animation frame: that wait alone costs up to a frame
  // (16 ms) of latency. At most one prediction is in flight; the newest drawing waits (see pump).
  onChange: () => { inputAt ??= performance.now(); predictNow(); },
});

// Figures for the benchmark (bench/browser.py) and the curious: when Ready came (ms since navigation),
// which library does the matrix products ('xnnpack', 'openblas' or 'numpy'), every iteration/evaluation
// event, and latencies (ms) from a drawing's pointer input to the probability bars holding its prediction.
let metrics = null;
const resetMetrics = () => { metrics = { readyAt: null, matmul: null, matmulThreads: null, events: [], predictLatencies: [] }; };
resetMetrics();
let inputAt = null;   // when the oldest drawing change not yet sent to the network happened

const buttons = {
  train: $('train'), pause: $('pause'), stop: $('stop'), reset: $('reset'),
  exportBtn: $('export'), importInput: $('import'), importLabel: $('import-label'),
};

// ── state ──────────────────────────────────────────────────────────────────────────────────
// phase: loading | ready | training | pausing | paused | stopping | stopped | done | diverged | broken
let phase = 'loading';
let hasModel = false;
let client = null;
let modelName = '';
let refreshTimer = null;
let lastSamplesAt = 0;

function applyState() {
  const busy = phase === 'training' || phase === 'pausing' || phase === 'paused' || phase === 'stopping';
  const usable = !['loading', 'broken'].includes(phase);
  form.setEnabled(usable && !busy);
  buttons.train.disabled = !(usable && !busy && form.valid);
  buttons.pause.disabled = !(phase === 'training' || phase === 'paused');
  buttons.pause.textContent = phase === 'paused' ? 'Resume' : phase === 'pausing' ? 'Pausing…' : 'Pause';
  buttons.pause.setAttribute('aria-pressed', phase === 'paused' ? 'true' : 'false');
  buttons.stop.disabled = !(phase === 'training' || phase === 'paused' || phase === 'pausing');
  buttons.exportBtn.disabled = !(usable && hasModel && !busy);
  const canImport = usable && !busy;
  buttons.importInput.disabled = !canImport;
  buttons.importLabel.setAttribute('aria-disabled', canImport ? 'false' : 'true');
}

function setPhase(next) {
  phase = next;
  const words = {
    loading: ['loading', null], ready: ['ready', 'Ready'], training: ['training', 'Training…'],
    pausing: ['training', 'Pausing…'], paused: ['paused', 'Paused'], stopping: ['training', 'Stopping…'],
    stopped: ['stopped', 'Stopped'], done: ['done', 'Done'], diverged: ['diverged', 'Diverged'], broken: ['error', 'Error'],
  };
  const [dot, word] = words[next];
  if (word) status.set(dot, word);
  applyState();
  if (['training'].includes(next)) startRefresh(); else stopRefresh();
}

// ── worker lifecycle ───────────────────────────────────────────────────────────────────────
function startClient() {
  resetMetrics();
  client = new TrainerClient();
  const c = client;
  const on = (type, fn) => c.addEventListener(type, (e) => { if (c === client) fn(e.detail); });
  on('progress', (m) => status.loading(m.step, m.fraction, m.note));
  on('accelerated', (m) => {
    metrics.matmul = m.matmul || 'numpy';
    metrics.matmulThreads = m.threads || 1;
    const name = { xnnpack: 'XNNPACK', openblas: 'OpenBLAS' }[metrics.matmul];
    if (name) status.addDetail(`matrix products: ${name}`);
    // Also in the footer, which training does not rewrite, with XNNPACK's threads and why only one.
    const threads = metrics.matmul !== 'xnnpack' ? ''
      : m.threads > 1 ? ` on ${m.threads} threads` : ` on one thread (${m.oneThreadWhy || 'one core'})`;
    $('matmul-info').textContent = `Matrix products: ${name || "NumPy's own"}${threads}.`;
  });
  on('ready', (m) => {
    metrics.readyAt = performance.now();
    form.setPresets(m.presets || []);
    const info = m.info || {};
    status.ready([`Pyodide ${info.pyodide || ''}`, info.numpy ? `NumPy ${info.numpy}` : '', info.isolated ? '' : 'no shared memory: pause acts between steps']
      .filter(Boolean).join(' · '));
    setPhase('ready');
    schedulePredict();
  });
  on('training', (m) => {
    metrics.events.push(...m.events.filter((e) => e.type !== 'batch'));
    charts.add(m.events);
    figures.update(m.events);
  });
  on('paused', () => { setPhase('paused'); charts.redraw(); refreshViews(); });
  on('resumed', () => setPhase('training'));
  on('stopped', () => { setPhase('stopped'); charts.redraw(); refreshViews(); });
  on('done', (m) => {
    if (m.event) figures.update([m.event]);
    setPhase('done');
    charts.redraw();
    refreshViews();
  });
  on('diverged', (m) => {
    // The weights hold NaN/Inf now: no point classifying drawings or exporting them.
    hasModel = false;
    setPhase('diverged');
    probs.clear(HINT_DIVERGED);
    charts.redraw();
    // Python's message already says where and why ("training diverged at iteration 8: the loss became inf ...").
    const text = sentence(m.message || 'training diverged: the loss became NaN or infinite');
    const hint = /alpha|learning rate/i.test(text) ? '' : ' Try a smaller learning rate (alpha).';
    status.showError(`${text[0].toUpperCase()}${text.slice(1)}${hint} Change the settings and press Train to try again.`);
  });
  on('error', (m) => {
    console.warn('pynet worker error:', m.message, m.detail || '');
    status.showError(m.message);
    if (m.fatal) {
      if (m.phase === 'init') status.loadFailed();
      hasModel = false;
      setPhase('broken');
      probs.clear('Python is not running. Press Reset to start again.');
    } else if (phase === 'training' || phase === 'pausing' || phase === 'stopping') {
      // The worker follows a training error with "stopped"; keep buttons coherent meanwhile.
      setPhase('stopped');
    }
  });
  status.startLoading();
  setPhase('loading');
  c.start();
}

function reset() {
  client?.terminate();
  stopRefresh();
  hasModel = false;
  modelName = '';
  inflight = false;
  queued = null;
  status.clearError();
  charts.reset();
  figures.reset();
  weightsView.clear();
  samples.clear();
  probs.clear(HINT_NO_MODEL);
  startClient();
}

// ── training ───────────────────────────────────────────────────────────────────────────────
async function train(event) {
  event?.preventDefault();
  const config = form.config();
  if (!config || buttons.train.disabled) return;
  status.clearError();
  buttons.train.disabled = true;
  metrics.events = [];
  const reply = await client.train(config);
  if (!reply.ok) {
    status.showError(reply.error || 'Python refused these settings.');
    if (reply.detail) console.warn(reply.detail);
    applyState();
    return;
  }
  hasModel = true;
  modelName = config.preset;
  charts.reset();
  figures.reset(config.params.iterations ?? reply.summary?.params?.iterations ?? null);
  weightsView.clear();
  samples.clear();
  lastSamplesAt = 0;
  const summary = reply.summary || {};
  status.set('training', 'Training…', summary.parameters ? `${modelName}: ${summary.parameters.toLocaleString('en-US')} parameters` : modelName);
  setPhase('training');
  schedulePredict();
}

function togglePause() {
  if (phase === 'training') {
    setPhase('pausing');
    client.pause();
  } else if (phase === 'paused') {
    client.resume();
  }
}

function stop() {
  if (phase === 'training' || phase === 'paused' || phase === 'pausing') {
    setPhase('stopping');
    client.stop();
  }
}

// Weights (and now and then the test strip) are refreshed while training, one request at a time.
let refreshing = false;
function startRefresh() {
  if (refreshTimer) return;
  refreshTimer = setInterval(() => {
    if (refreshing) return;
    const withSamples = performance.now() - lastSamplesAt > SAMPLES_EVERY_MS;
    refreshViews(withSamples);
  }, WEIGHTS_EVERY_MS);
}

function stopRefresh() {
  clearInterval(refreshTimer);
  refreshTimer = null;
}

async function refreshViews(withSamples = true) {
  if (!hasModel || !client || client.dead) return;
  refreshing = true;
  const c = client;
  try {
    const w = await c.weights(16);
    if (c !== client) return;
    if (w.ok) weightsView.show(w);
    if (withSamples) {
      lastSamplesAt = performance.now();
      const s = await c.samples(20);
      if (c !== client) return;
      if (s.ok) samples.show(s);
    }
  } finally {
    refreshing = false;
  }
  schedulePredict();
}

// ── drawing → prediction ───────────────────────────────────────────────────────────────────
// At most one predict request in flight, at most one per animation frame; the newest drawing
// wins (older ones that were waiting are dropped).
let frameRequested = false;
let inflight = false;
let queued = null;
let queuedAt = null;   // input time of the queued drawing

function schedulePredict() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    predictNow();
  });
}

function predictNow() {
  $('pad-placeholder').hidden = !pad.empty;
  if (pad.empty) {
    paintGray(preview, new Float32Array(784), 28, 28, 255);
    queued = null;
    inputAt = null;
    probs.clear(hasModel ? HINT_DRAW : noModelHint());
    return;
  }
  const { ink, width, height } = pad.readInk();
  const pixels = toMnist(ink, width, height);
  if (!pixels) return;
  paintGray(preview, pixels, 28, 28, 255);
  if (!hasModel || !client || client.dead || phase === 'loading') {
    probs.clear(noModelHint());
    return;
  }
  queued = pixels;
  queuedAt = inputAt;
  inputAt = null;
  pump();
}

async function pump() {
  if (inflight || !queued) return;
  const pixels = queued;
  const drawnAt = queuedAt;
  queued = null;
  queuedAt = null;
  inflight = true;
  const c = client;
  let reply;
  try {
    reply = await c.predict(pixels);
  } finally {
    inflight = false;
  }
  if (c !== client) return;
  if (pad.empty) {
    probs.clear(hasModel ? HINT_DRAW : noModelHint());
  } else if (reply.ok && Array.isArray(reply.probabilities) && reply.probabilities.every(Number.isFinite)) {
    probs.show(reply.probabilities, reply.digit);
    // Input to bars updated: under a frame (16.7 ms) means the new bars are in the next frame painted.
    if (drawnAt !== null) metrics.predictLatencies.push(performance.now() - drawnAt);
  } else if (reply.ok) {
    probs.clear('The model gives no usable answer (its weights are not finite numbers).');
  } else {
    probs.clear(reply.error || HINT_NO_MODEL);
  }
  if (queued) pump();
}

// ── model files ────────────────────────────────────────────────────────────────────────────
async function exportModel() {
  const reply = await client.exportModel();
  if (!reply.ok) {
    status.showError(`Export failed: ${sentence(reply.error)}`);
    return;
  }
  const blob = new Blob([reply.bytes], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = reply.filename || `pynet-${modelName || 'model'}.npz`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function importModel() {
  const input = buttons.importInput;
  const file = input.files && input.files[0];
  input.value = '';              // choosing the same file again still fires "change"
  if (!file) return;
  if (file.size > MAX_IMPORT_BYTES) {
    status.showError(`"${file.name}" is too large to be a pynet model (${(file.size / 1e6).toFixed(1)} MB).`);
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const reply = await client.importModel(bytes);
  if (!reply.ok) {
    status.showError(`Could not import "${file.name}": ${sentence(reply.error)}${hasModel ? ' The current model is kept.' : ''}`);
    return;
  }
  status.clearError();
  hasModel = true;
  const summary = reply.summary || {};
  modelName = summary.preset || file.name;
  charts.reset();
  figures.reset();
  if (typeof summary.test_accuracy === 'number') figures.setAcc(figures.testAcc, summary.test_accuracy);
  if (summary.preset && form.presets.some((p) => p.name === summary.preset)) {
    form.els.select.value = summary.preset;
    form.renderPreset();
  }
  setPhase('ready');
  status.set('ready', 'Ready', `Imported ${file.name}${summary.parameters ? ` · ${summary.parameters.toLocaleString('en-US')} parameters` : ''}`);
  refreshViews();
  schedulePredict();
}

/** Python's messages are one line without a final stop; add one before appending more text. */
function sentence(text) {
  const t = String(text || 'unknown error').trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

// ── events ─────────────────────────────────────────────────────────────────────────────────
$('train-form').addEventListener('submit', train);
buttons.pause.addEventListener('click', togglePause);
buttons.stop.addEventListener('click', stop);
buttons.reset.addEventListener('click', reset);
buttons.exportBtn.addEventListener('click', exportModel);
buttons.importInput.addEventListener('change', importModel);
$('clear').addEventListener('click', () => pad.clear());

// A hook for the end-to-end tests (and for the curious, from the console).
window.__pynet = {
  chartPoints: () => charts.points(),
  phase: () => phase,
  hasModel: () => hasModel,
  isolated: () => Boolean(client && client.isolated),
  predictInFlight: () => inflight || queued !== null || frameRequested,
  metrics: () => metrics,
  status: () => (client ? client.status() : null),
};

// Which build this is (written by build.py); purely informative, so failures are ignored.
fetch('build-info.json', { cache: 'no-cache' })
  .then((r) => (r.ok ? r.json() : null))
  .then((info) => {
    if (!info) return;
    const parts = [];
    if (info.pyodide_version) parts.push(`Pyodide ${info.pyodide_version}`);
    if (info.built_at) parts.push(`built ${String(info.built_at).slice(0, 10)}`);
    $('build-info').textContent = parts.length ? `(${parts.join(', ')})` : '';
  })
  .catch(() => {});

probs.clear(HINT_NO_MODEL);
paintGray(preview, new Float32Array(784), 28, 28, 255);
startClient();
