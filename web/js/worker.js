/*
 * pynet worker: runs Python (Pyodide) + NumPy + pynet off the main thread.
 *
 * Python side: one `pynet.host.Host` object; every command is `host.handle(message_json, payload)`
 * and returns a JSON string {"ok": true, ...} or {"ok": false, "error": "..."}.
 *
 * ── Page → worker ────────────────────────────────────────────────────────────────────────────
 *   {type:'init', control?: SharedArrayBuffer, interrupt?: SharedArrayBuffer, matmul?: string, threads?: number}
 *        matmul:    which library does the large matrix products, loaded after Ready: 'auto' (default:
 *                   XNNPACK, else OpenBLAS, else NumPy), or only 'xnnpack', 'openblas' or 'numpy' (to
 *                   measure what each brings).
 *        threads:   XNNPACK's threads: 0 (default) one per core where the page is cross-origin isolated,
 *                   1 its one-thread build (to measure what threads bring).
 *        control:   Int32Array(1) control word the page writes with Atomics: 0 run, 1 pause, 2 stop.
 *                   Python polls it between two batches through should_stop(), so pause/stop take
 *                   effect inside a run call (only when the page is cross-origin isolated).
 *        interrupt: Uint8Array(1) given to pyodide.setInterruptBuffer; the page writes 2 (SIGINT) on
 *                   Stop so even a long batch ends at once (Python reports state "stopped").
 *   Requests (carry an `id`; answered by {type:'reply', id, ok, ...} exactly once):
 *   {id, type:'train', preset, params}   configure a fresh model and start training
 *   {id, type:'predict', pixels: Float32Array(784)}
 *   {id, type:'weights', maxTiles}       first-layer weights as tiles
 *   {id, type:'samples', count}          test digits with predictions
 *   {id, type:'export'}                  → {filename, bytes: Uint8Array (transferred)}
 *   {id, type:'import', bytes: Uint8Array}
 *   {id, type:'status'}                  → Python's status, worker_state, matmul_kept (matrices XNNPACK
 *                                        keeps: the current training's batches)
 *   Commands (no reply; the outcome comes as an event): {type:'pause'}, {type:'resume'}, {type:'stop'}
 *
 * ── Worker → page (events) ───────────────────────────────────────────────────────────────────
 *   {type:'progress', step:'runtime'|'numpy'|'pynet'|'data', fraction: 0..1 overall, note?}
 *   {type:'ready', presets:[...], info:{pyodide, numpy, isolated}}
 *   {type:'accelerated', matmul, threads, oneThreadWhy}
 *                                        after Ready: which library now does the large matrix products
 *                                        ('xnnpack', 'openblas' or 'numpy') on how many threads, and why
 *                                        one only ('' if not); why others were not used goes to the console
 *   {type:'training', events:[...]}      Python's training events, throttled: at most one message
 *                                        per FLUSH_MS; every iteration/evaluation event is kept,
 *                                        only the latest "batch" event survives.
 *   {type:'paused', iteration} {type:'resumed'} {type:'stopped', iteration}
 *   {type:'done', event} {type:'diverged', iteration, message}
 *   {type:'error', message, detail?, fatal: bool, phase: 'init'|'training'|'python'}
 *        fatal = the worker is unusable (loading failed, Python crashed): the page offers Reset.
 */

const RUN_SECONDS = 0.04;        // one run call; short so messages (pause, predict) are served quickly
const FLUSH_MS = 100;            // at most ~10 training messages per second
const TIMEOUTS = { runtime: 120_000, numpy: 120_000, pynet: 60_000, data: 60_000 };

const PYODIDE_URL = new URL('../pyodide/', import.meta.url);
const DATA_URL = new URL('../data/mnist-digits.bin', import.meta.url);

let pyodide = null;
let hostProxy = null;            // the pynet.host.Host instance (a PyProxy)
let handle = null;               // its handle method
let control = null;              // Int32Array on a SharedArrayBuffer, or null
let interrupt = null;            // Uint8Array on a SharedArrayBuffer, or null
let xnnpackMatmul = null;        // the XNNPACK product Python uses, once it does
let state = 'loading';           // loading | idle | running | paused | stopped | done | diverged | broken
let loopToken = 0;
let lastIteration = null;
let pending = [];
let lastFlush = 0;
let stderrLines = [];

const post = (msg, transfer) => self.postMessage(msg, transfer || []);

// ── helpers ──────────────────────────────────────────────────────────────────────────────────

class StepError extends Error {
  constructor(message, detail) {
    super(message);
    this.detail = detail;
  }
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StepError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Yield to the event loop so queued page messages (pause, predict, ...) are handled between two
// run calls. A MessageChannel task has no 4 ms clamp, unlike a nested setTimeout(0).
const yieldChannel = new MessageChannel();
const yieldWaiters = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();
function yieldToEvents() {
  return new Promise((resolve) => {
    yieldWaiters.push(resolve);
    yieldChannel.port2.postMessage(0);
  });
}

function isPythonError(err) {
  return pyodide && err instanceof pyodide.ffi.PythonError;
}

function lastLine(text) {
  const lines = String(text || '').trim().split('\n').filter(Boolean);
  return lines[lines.length - 1] || String(text);
}

/** Call host.handle; never throws. Returns the parsed reply. */
function call(message, payload) {
  const reply = callOnce(message, payload);
  // A Stop interrupt that Python noticed only after its run call returned fires in the next Python code,
  // which may be this unrelated command. It was meant for training and is spent now: run the command again.
  if (reply.interrupted && message.type !== 'run') return callOnce(message, payload);
  return reply;
}

function callOnce(message, payload) {
  // A stale Stop interrupt must not hit an unrelated command; a run call keeps it (that is its purpose).
  if (interrupt && message.type !== 'run') interrupt[0] = 0;
  let text;
  try {
    text = payload === undefined ? handle(JSON.stringify(message)) : handle(JSON.stringify(message), payload);
  } catch (err) {
    if (isPythonError(err)) {
      if (/KeyboardInterrupt/.test(err.message)) {
        // The page's Stop interrupt landed outside the training loop.
        if (message.type === 'run') return { ok: true, interrupted: true, events: [], state: 'stopped', done: false };
        return { ok: false, interrupted: true, error: 'Interrupted by Stop; try again.' };
      }
      return { ok: false, error: `Python error: ${lastLine(err.message)}`, detail: err.message };
    }
    // Anything else (e.g. a WebAssembly trap, out of memory) means the runtime is gone.
    state = 'broken';
    return {
      ok: false,
      fatal: true,
      error: `The Python runtime crashed (${err && err.message ? err.message : err}). Press Reset to start again.`,
      detail: err && err.stack,
    };
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    return { ok: false, error: 'Python sent a reply that is not JSON.', detail: String(text).slice(0, 2000) };
  }
}

// ── loading ──────────────────────────────────────────────────────────────────────────────────

/** Creep the bar toward `to` while a step gives no progress of its own. */
function creep(step, from, to) {
  let f = from;
  const timer = setInterval(() => {
    f += (to - f) * 0.08;
    post({ type: 'progress', step, fraction: f });
  }, 400);
  post({ type: 'progress', step, fraction: from });
  return () => clearInterval(timer);
}

async function loadPackage(name, step, from, to) {
  const stop = creep(step, from, to);
  const errors = [];
  try {
    await withTimeout(
      pyodide.loadPackage(name, {
        messageCallback: () => {},
        errorCallback: (msg) => errors.push(String(msg)),
      }),
      TIMEOUTS[step],
      `Loading ${name} took more than ${TIMEOUTS[step] / 1000} s. Check that the page's pyodide/ folder holds the ${name} wheel, then reload.`,
    );
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(missingMessage(name, err.message), `${err.message}\n${errors.join('\n')}`);
  } finally {
    stop();
  }
  if (!pyodide.loadedPackages[name]) {
    throw new StepError(missingMessage(name, errors.join(' ')), errors.join('\n'));
  }
}

function missingMessage(name, why) {
  if (name === 'numpy') {
    return 'NumPy is missing from this build, so pynet cannot run. '
      + 'Rebuild the site with a NumPy source — `python build.py --numpy-wheel PATH` with NumPy\'s Pyodide wheel, '
      + 'or plain `python build.py` on a machine that can download it (not --allow-missing-numpy) — then reload this page.';
  }
  if (name === 'pynet') {
    return `The pynet package could not be loaded (${lastLine(why) || 'not listed in pyodide-lock.json'}). `
      + 'Rebuild the site with `python build.py`, then reload this page.';
  }
  return `Loading ${name} failed: ${lastLine(why)}`;
}

async function fetchDigits() {
  const response = await withTimeout(fetch(DATA_URL), TIMEOUTS.data, 'Downloading the MNIST digits took too long.');
  if (!response.ok) {
    throw new StepError(`The MNIST digits file is missing (HTTP ${response.status} for data/mnist-digits.bin). Rebuild the site with \`python build.py\`.`);
  }
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body || !total) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes;
}

async function init(msg) {
  if (msg.control) control = new Int32Array(msg.control);
  if (msg.interrupt) interrupt = new Uint8Array(msg.interrupt);
  let step = 'runtime';
  let numpyVersion = '';
  // The digits download and the NumPy/pynet wheels start now, in parallel with the runtime's start
  // (loadPyodide's `packages` fetches them while the interpreter boots): most of the wait overlaps.
  const digitsPromise = fetchDigits();
  digitsPromise.catch(() => {});  // reported where it is awaited
  try {
    const stopCreep = creep('runtime', 0.02, 0.6);
    try {
      const { loadPyodide } = await withTimeout(
        import('../pyodide/pyodide.mjs'), TIMEOUTS.runtime,
        'Loading the Pyodide runtime took too long. Reload the page to try again.');
      pyodide = await withTimeout(
        loadPyodide({
          indexURL: PYODIDE_URL.href,
          lockFileURL: new URL('pyodide-lock.json', PYODIDE_URL).href,
          packages: ['numpy', 'pynet'],
          stdout: (line) => console.log(`[python] ${line}`),
          stderr: (line) => { stderrLines.push(line); if (stderrLines.length > 50) stderrLines.shift(); },
        }),
        TIMEOUTS.runtime,
        'Starting the Pyodide runtime took more than two minutes. Reload the page to try again.');
    } finally {
      stopCreep();
    }
    if (interrupt) pyodide.setInterruptBuffer(interrupt);

    // A package that failed inside loadPyodide is only logged there: check, and name the fix.
    step = 'numpy';
    post({ type: 'progress', step, fraction: 0.7 });
    if (!pyodide.loadedPackages.numpy) await loadPackage('numpy', 'numpy', 0.7, 0.78);
    step = 'pynet';
    post({ type: 'progress', step, fraction: 0.8 });
    if (!pyodide.loadedPackages.pynet) await loadPackage('pynet', 'pynet', 0.8, 0.85);

    step = 'data';
    const digits = await digitsPromise;
    post({ type: 'progress', step: 'data', fraction: 0.95, note: 'Preparing the digits…' });
    const ns = pyodide.globals.get('dict')();
    try {
      ns.set('digits_js', digits);
      pyodide.runPython(
        'from pynet.host import Host\nhost = Host(digits_js.to_bytes())\ndel digits_js\n'
        + 'import numpy\nnumpy_version = numpy.__version__\n',
        { globals: ns },
      );
      // Keep the Host proxy alive for the worker's lifetime: handle is borrowed from it.
      hostProxy = ns.get('host');
      handle = hostProxy.handle;
      numpyVersion = ns.get('numpy_version');
    } catch (err) {
      throw new StepError(`pynet could not read the MNIST digits: ${lastLine(err.message)}`, err.message);
    } finally {
      ns.destroy();
    }

    const presets = call({ type: 'presets' });
    if (!presets.ok) throw new StepError(`pynet could not list its networks: ${presets.error}`, presets.detail);
    state = 'idle';
    post({ type: 'progress', step: 'data', fraction: 1 });
    post({
      type: 'ready',
      presets: presets.presets,
      info: { pyodide: pyodide.version, numpy: numpyVersion, isolated: Boolean(control) },
    });
    accelerate(msg.matmul || 'auto', Number(msg.threads) || 0);  // not awaited: the page is usable (and may train) before it lands
  } catch (err) {
    state = 'broken';
    post({
      type: 'error',
      fatal: true,
      phase: 'init',
      step,
      message: err instanceof StepError ? err.message : `Loading failed (${step}): ${lastLine(err && err.message)}`,
      detail: [err && (err.detail || err.stack), stderrLines.join('\n')].filter(Boolean).join('\n'),
    });
  }
}

/**
 * pynet's large matrix products go through pynet.blas, where a faster library than NumPy's own loop
 * can take them over: XNNPACK's SIMD kernel (web/js/xnnpack-matmul.js, ~3x OpenBLAS on the dense
 * layers) on `threads` threads (0: one per core, where the page is cross-origin isolated), else
 * Pyodide's OpenBLAS (6 MB, 2-5x NumPy), else NumPy. It loads after Ready so it never delays the page,
 * and is switched on between two training steps once it passed pynet's self-check.
 */
async function accelerate(choice, threads) {
  const notes = [];
  const enable = (name, payload) => {
    const reply = call({ type: 'accelerate', name }, payload);
    if (reply.ok && reply.matmul === name) return true;
    notes.push(`${name} was refused: ${reply.ok ? "it failed pynet's self-check" : reply.error}`);
    return false;
  };
  const xnnpack = async () => {
    try {
      const { loadMatmul } = await import('./xnnpack-matmul.js');
      const matmul = await loadMatmul(pyodide, { threads });
      if (matmul.oneThreadWhy) notes.push(`XNNPACK runs on one thread: ${matmul.oneThreadWhy}`);
      if (!enable('xnnpack', matmul)) return false;
      xnnpackMatmul = matmul;
      return true;
    } catch (err) {
      notes.push(`XNNPACK not loaded (${lastLine(err && err.message)})`);
      return false;
    }
  };
  const openblas = async () => {
    try {
      await pyodide.loadPackage('openblas', { messageCallback: () => {}, errorCallback: () => {} });
    } catch (err) {
      notes.push(`OpenBLAS not loaded (${lastLine(err && err.message)})`);
      return false;
    }
    if (pyodide.loadedPackages.openblas) return enable('openblas');
    notes.push('OpenBLAS is not in this build');
    return false;
  };
  let matmul = 'numpy';
  if ((choice === 'auto' || choice === 'xnnpack') && await xnnpack()) matmul = 'xnnpack';
  else if ((choice === 'auto' || choice === 'openblas') && await openblas()) matmul = 'openblas';
  if (notes.length) console.info(`pynet: ${notes.join('; ')}; matrix products: ${matmul}.`);
  post({ type: 'accelerated', matmul, threads: xnnpackMatmul ? xnnpackMatmul.threads : 1,
         oneThreadWhy: xnnpackMatmul ? xnnpackMatmul.oneThreadWhy : '' });
}

// ── training loop ────────────────────────────────────────────────────────────────────────────

function queueEvents(events) {
  for (const e of events) {
    if (typeof e.iteration === 'number') lastIteration = e.iteration;
    if (e.type === 'batch') {
      // Only the newest batch event matters (it drives a progress bar): drop older ones.
      const i = pending.findIndex((p) => p.type === 'batch');
      if (i >= 0) pending.splice(i, 1);
    }
    pending.push(e);
  }
}

function flush(force) {
  const now = performance.now();
  if (!pending.length || (!force && now - lastFlush < FLUSH_MS)) return;
  post({ type: 'training', events: pending });
  pending = [];
  lastFlush = now;
}

const shouldStop = () => (control !== null && Atomics.load(control, 0) !== 0) || state !== 'running';

async function trainLoop() {
  const token = ++loopToken;
  while (state === 'running' && token === loopToken) {
    const reply = call({ type: 'run', max_seconds: RUN_SECONDS }, shouldStop);
    if (!reply.ok) {
      flush(true);
      const fatal = Boolean(reply.fatal);
      state = fatal ? 'broken' : 'stopped';
      post({ type: 'error', phase: 'training', fatal, message: reply.error, detail: reply.detail });
      if (!fatal) post({ type: 'stopped', iteration: lastIteration });
      return;
    }
    const events = reply.events || [];
    queueEvents(events);
    // Diverged first: Python's `done` is true for a diverged run as well.
    if (reply.state === 'diverged' || events.some((e) => e.type === 'diverged')) {
      state = 'diverged';
      flush(true);
      const d = events.find((e) => e.type === 'diverged') || {};
      post({ type: 'diverged', iteration: d.iteration ?? lastIteration, message: d.message || 'the loss became NaN or infinite.' });
      return;
    }
    if (reply.state === 'done' || reply.done) {
      state = 'done';
      flush(true);
      post({ type: 'done', event: events.find((e) => e.type === 'done') || null });
      return;
    }
    const word = control !== null ? Atomics.load(control, 0) : 0;
    if (reply.state === 'stopped' && state === 'running' && word !== 1) {
      // The Stop interrupt reached Python before the stop message reached us.
      finishStop();
      return;
    }
    flush(false);
    await yieldToEvents();
  }
}

/** End training for good: Python evaluates the model as it is and keeps it for predict/export. */
function finishStop() {
  state = 'stopped';
  flush(true);
  const r = call({ type: 'stop' });
  if (r.ok && r.event) {
    // The final evaluation updates the figures and the last chart point.
    post({ type: 'training', events: [{ ...r.event, type: 'evaluation' }] });
  } else if (!r.ok) {
    post({ type: 'error', phase: 'training', fatal: Boolean(r.fatal), message: r.error, detail: r.detail });
  }
  post({ type: 'stopped', iteration: r.event ? r.event.iteration : lastIteration });
}

// ── commands ─────────────────────────────────────────────────────────────────────────────────

function reply(id, result, transfer) {
  post({ type: 'reply', id, ...result }, transfer);
}

function startTraining(msg) {
  if (state === 'running' || state === 'paused') return { ok: false, error: 'Training is already in progress: stop it first.' };
  if (control) Atomics.store(control, 0, 0);
  if (interrupt) interrupt[0] = 0;
  const result = call({ type: 'configure', preset: msg.preset, params: msg.params });
  if (!result.ok) return result;
  pending = [];
  lastIteration = null;
  state = 'running';
  queueMicrotask(trainLoop);
  return result;
}

function handleRequest(msg) {
  switch (msg.type) {
    case 'train':
      return startTraining(msg);
    case 'predict':
      return call({ type: 'predict' }, msg.pixels);
    case 'weights':
      return call({ type: 'weights', max_tiles: msg.maxTiles ?? 16 });
    case 'samples':
      return call({ type: 'samples', count: msg.count ?? 20 });
    case 'status':
      return { ...call({ type: 'status' }), worker_state: state,
               matmul_kept: xnnpackMatmul ? xnnpackMatmul.kept() : 0 };
    case 'export': {
      const r = call({ type: 'export' });
      if (!r.ok) return r;
      const bin = atob(r.bytes_b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return { ok: true, filename: r.filename, bytes, transfer: [bytes.buffer] };
    }
    case 'import': {
      if (state === 'running' || state === 'paused') return { ok: false, error: 'Stop training before importing a model.' };
      const r = call({ type: 'import' }, msg.bytes);
      if (r.ok) state = 'idle';
      return r;
    }
    default:
      return { ok: false, error: `Unknown request "${msg.type}".` };
  }
}

self.onmessage = (event) => {
  const msg = event.data || {};
  switch (msg.type) {
    case 'init':
      if (state === 'loading' && !pyodide) init(msg);
      return;
    case 'pause':
      if (state === 'running') {
        state = 'paused';
        flush(true);
        post({ type: 'paused', iteration: lastIteration });
      }
      return;
    case 'resume':
      if (state === 'paused') {
        if (control) Atomics.store(control, 0, 0);
        state = 'running';
        post({ type: 'resumed' });
        trainLoop();
      }
      return;
    case 'stop':
      if (state === 'running' || state === 'paused') finishStop();
      if (interrupt) interrupt[0] = 0;
      return;
    default:
      break;
  }
  if (msg.id === undefined) return;
  if (!handle) {
    reply(msg.id, { ok: false, error: state === 'broken' ? 'Python is not available: press Reset.' : 'Python is still loading.' });
    return;
  }
  const result = handleRequest(msg);
  const { transfer, fatal, ...rest } = result;
  reply(msg.id, rest, transfer);
  if (fatal) post({ type: 'error', phase: 'python', fatal: true, message: result.error, detail: result.detail });
};

self.addEventListener('unhandledrejection', (event) => {
  post({ type: 'error', phase: 'python', fatal: false, message: `Unexpected error in the worker: ${event.reason && event.reason.message ? event.reason.message : event.reason}` });
});
