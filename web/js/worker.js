/*
 * pynet worker: runs Python (Pyodide) + NumPy + pynet off the main thread.
 *
 * Python side: one `pynet.host.Host` object; every command is `host.handle(message_json, payload)`
 * and returns a JSON string {"ok": true, ...} or {"ok": false, "error": "...", "refused"?: true}.
 *
 * ── The training session: one state machine, owned by Python ────────────────────────────────
 * pynet/session.py decides what can be done and what it leads to; nobody else keeps a copy that could
 * disagree. Every change comes back with the Python reply that made it and is relayed to the page at once
 * as {type:'session', session}; the page draws its buttons from `session.permits`. A request the state
 * does not permit is refused ({ok:false, refused:true, error}) and changes nothing.
 *
 *   state     permits                                               how it is left
 *   empty     train, import                                         train → training, import → imported
 *   training  pause, stop, predict, weights, samples                pause → paused, stop → stopped;
 *             (the worker's run calls go on)                        the run calls → done | diverged | failed
 *   paused    resume, stop, predict, weights, samples, export       resume → training, stop → stopped
 *   stopped   train, import, finetune, predict, weights, samples,   train → training, import → imported,
 *             export                                                finetune → training
 *   done      (the same)                                            (the same)
 *   failed    (the same: the model keeps its last complete step)    (the same)
 *   imported  (the same)                                            (the same)
 *   diverged  train, import                                         train → training, import → imported
 * `finetune` trains the current model on (the person's digits mixed with MNIST, pynet/finetune.py): it
 * needs a model at rest, keeps the model and its preset, and counts as a new model_id.
 *
 * Before the session, the runtime: the page's TrainerClient owns `loading → ready → broken` (a load
 * failure, a Python crash, the worker lost: only the page can see the last one). While not ready, nothing
 * but Reset is possible. Reset is the page's: it replaces the worker, whose new session starts empty.
 * A session snapshot: {state, version (bumped by every change), model_id (bumped by every new model: the
 * page starts its charts afresh), kind ('preset' | 'code' | 'import' | 'finetune'; later kinds join in pynet/host.py), preset,
 * iterations, parameters, permits: [...], message (why it diverged or failed)}.
 *
 * ── Page → worker ────────────────────────────────────────────────────────────────────────────
 *   {type:'init', control?: SharedArrayBuffer, interrupt?: SharedArrayBuffer, matmul?: string, threads?: number,
 *    lifeline?: string}
 *        Sent once, at once (web/js/boot.js starts the worker before the page's own scripts). Loading does
 *        not wait for it: the runtime starts when this script runs; init gives the page's settings and
 *        shared memory, and Ready (or the loading error) follows it.
 *        matmul:    which library does the large matrix products, loaded after Ready: 'auto' (default:
 *                   XNNPACK, else OpenBLAS, else NumPy), or only 'xnnpack', 'openblas' or 'numpy' (to
 *                   measure what each brings).
 *        threads:   XNNPACK's threads: 0 (default) one per core where the page is cross-origin isolated,
 *                   1 its one-thread build (to measure what threads bring).
 *        control:   Int32Array(1) control word the page writes with Atomics: 0 run, 1 pause, 2 stop.
 *                   Python polls it between two batches through should_stop(), so pause/stop take
 *                   effect inside a run call (only when the page is cross-origin isolated). The page
 *                   always sends the matching request after writing it; the request moves the state.
 *        interrupt: Uint8Array(1) given to pyodide.setInterruptBuffer; the page writes 2 (SIGINT) on
 *                   Stop so even a long batch ends at once (the run call ends early; the stop request,
 *                   which follows, ends the training). Python's check can lose a write, and the worker
 *                   clears a stale one before each command but a run, so the page writes it again until
 *                   the stop's reply: a cell that never returns still ends, even one begun after Stop.
 *        lifeline:  a Web Locks name the worker holds for as long as it lives, so the page learns when
 *                   it is gone (killed, crashed) even though a dead worker sends nothing.
 *   Requests (carry an `id`; answered by {type:'reply', id, ok, ...} exactly once, after any session
 *   message they caused):
 *   {id, type:'train', kind?, preset, params, digits?, code?}   a fresh model, trained from now on (kind:
 *                                        'preset'), on MNIST and, with `digits`, the person's digits mixed in;
 *                                        kind 'finetune': the current model trained on on `digits`;
 *                                        kind 'code': the code panel's cell `code`, run and checked first; an
 *                                        error in it says "line N of your code"; Stop's interrupt ends a cell
 *                                        that never returns, and the reply then says so
 *        digits: {pixels: Uint8Array(N*784) (0-255), labels: number[N]}, the page's personal digit set
 *   {id, type:'digits-export', digits}   → {filename, bytes: Uint8Array (transferred)}: a .npz digit-set file
 *   {id, type:'digits-import', bytes: Uint8Array}   → {digits}: the file read by pynet's strict loader
 *   {id, type:'code', op, ...}           the code panel's questions, answered at once (pynet/codecell.py):
 *                                        op 'cell' {preset, params} → {code}; 'values' {code} → {values} or
 *                                        {error, line}; 'set' {code, values} → {code}; 'script' {code} → {script}
 *   {id, type:'pause'} {id, type:'resume'} {id, type:'stop'}   stop → the model is evaluated and kept
 *   {id, type:'predict', pixels: Float32Array(784)}
 *   {id, type:'weights', maxTiles}       first-layer weights as tiles
 *   {id, type:'samples', count}          test digits with predictions
 *   {id, type:'evaluation'}              → {summary, evaluation?: {confusion: 10x10 counts, test_size,
 *                                        accuracy, mistakes: [{index, truth, answer, confidence}], labels,
 *                                        answers (strings of digits)}}: what a run came to, for the run
 *                                        list (pynet/evaluation.py); no evaluation without a usable model
 *   {id, type:'digits', indices}         → {labels, pixels_b64}: test digits by index (784 bytes each)
 *   {id, type:'export'}                  → {filename, bytes: Uint8Array (transferred)}
 *   {id, type:'import', bytes: Uint8Array}
 *   {id, type:'status'}                  → Python's status and session, matmul_kept (matrices XNNPACK
 *                                        keeps: the current training's batches), memory: bytes of the
 *                                        WebAssembly memories {python, xnnpack} (they never shrink)
 *
 * ── Worker → page (events) ───────────────────────────────────────────────────────────────────
 *   {type:'lifeline'}                    the worker holds the lifeline lock: the page may watch it
 *   {type:'progress', step:'runtime'|'numpy'|'pynet'|'data', fraction: 0..1 overall, note?}
 *   {type:'ready', presets:[...], info:{pyodide, numpy, isolated, pythonStart: {from: 'snapshot'|'default', note?}}}
 *        from 'snapshot': Python's start restored from the build's memory snapshot (web/js/snapshot.js)
 *   {type:'session', session}            the session changed (the first one comes before 'ready')
 *   {type:'accelerated', matmul, notes, threads, oneThreadWhy, tanh}
 *                                        after Ready: which library now does the large matrix products
 *                                        ('xnnpack', 'openblas' or 'numpy') on how many threads, why
 *                                        one only ('' if not), and why the faster ones were not used
 *                                        (notes: [...], empty when nothing failed); who does the large
 *                                        tanh's ('xnnpack': its sigmoid, pynet/elementwise.py; 'numpy')
 *   {type:'training', events:[...]}      Python's training events, throttled: at most one message
 *                                        per FLUSH_MS; every iteration/evaluation event is kept,
 *                                        only the latest "batch" event survives. Stop's evaluation of
 *                                        the model comes as an "evaluation" event.
 *   {type:'error', message, detail?, fatal, phase: 'init'|'python'|'worker', step?}
 *        fatal: Python is unusable (loading failed, the runtime crashed): the page offers Reset. Not
 *        fatal: a bug in the worker itself. Training errors are not sent this way: the session fails,
 *        and its message says why.
 */

import {
  digitsFault, firstUnusable, lastLine, packageFault, pythonMessage, runtimeFault, unreadableDigits,
} from './load-faults.js';
import { afterRestore, SNAPSHOT_FILE, snapshotBytes, snapshotKept } from './snapshot.js';

const RUN_SECONDS = 0.04;        // one run call; short so messages (pause, predict) are served quickly
const FLUSH_MS = 100;            // at most ~10 training messages per second
const TIMEOUTS = { runtime: 120_000, numpy: 120_000, pynet: 60_000, data: 60_000 };

const PYODIDE_URL = new URL('../pyodide/', import.meta.url);
// TF.js's files that XNNPACK's kernel needs (web/js/xnnpack-matmul.js), checked when it does not load.
const XNNPACK_FILES = ['tf-core.es2017.min.js', 'tf-backend-wasm.es2017.min.js', 'tfjs-backend-wasm-simd.wasm'];
const DATA_PATH = 'data/mnist-digits.bin';
const DATA_URL = new URL(`../${DATA_PATH}`, import.meta.url);

let pyodide = null;
let hostProxy = null;            // the pynet.host.Host instance (a PyProxy)
let handle = null;               // its handle method; null until Python is ready and once it is gone
let broken = null;               // why Python is unusable, once it is
let control = null;              // Int32Array on a SharedArrayBuffer, or null
let interrupt = null;            // Uint8Array on a SharedArrayBuffer, or null
let xnnpackMatmul = null;        // the XNNPACK product Python uses, once it does
let session = null;              // the last session snapshot Python announced (Python owns the state)
let looping = false;             // a training loop is on (at most one)
let pending = [];
let lastFlush = 0;
let stderrLines = [];
let pythonStart = { from: 'default' };  // how Python started: 'snapshot' (restored) or 'default' (and why)

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

/**
 * Call host.handle; never throws. Returns the parsed reply, after relaying what it carries: its
 * training events are queued, a session change is announced (after the events that led to it).
 */
function call(message, payload) {
  let reply = callOnce(message, payload);
  // A Stop interrupt that Python noticed only after its run call returned fires in the next Python code,
  // which may be this unrelated command. It was meant for training and is spent now: run the command again.
  if (reply.interrupted && message.type !== 'run') reply = callOnce(message, payload);
  if (reply.events) queueEvents(reply.events);
  if (reply.session) announce(reply.session);
  return reply;
}

function callOnce(message, payload) {
  if (!handle) return { ok: false, error: broken || 'Python is still loading.' };
  // A stale Stop interrupt must not hit an unrelated command; a run call keeps it (that is its purpose).
  // A Stop whose interrupt is cleared here is not lost: the page writes it again until the stop's reply.
  if (interrupt && message.type !== 'run') Atomics.store(interrupt, 0, 0);
  let text;
  try {
    text = payload === undefined ? handle(JSON.stringify(message)) : handle(JSON.stringify(message), payload);
  } catch (err) {
    if (isPythonError(err)) {
      if (/KeyboardInterrupt/.test(err.message)) {
        // The page's Stop interrupt landed outside the host's own handlers.
        if (message.type === 'run') return { ok: true, interrupted: true, events: [] };
        return { ok: false, interrupted: true, error: 'Interrupted by Stop; try again.' };
      }
      return { ok: false, error: `Python error: ${lastLine(err.message)}`, detail: err.message };
    }
    // Anything else (e.g. a WebAssembly trap, out of memory) means the runtime is gone.
    die(`The Python runtime crashed (${err && err.message ? err.message : err}). `
      + 'Press Reset to start again.', err && err.stack);
    return { ok: false, error: broken };
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    return { ok: false, error: 'Python sent a reply that is not JSON.', detail: String(text).slice(0, 2000) };
  }
}

/** Python can no longer be used: say so once; every later request gets the same answer. */
function die(message, detail, phase = 'python', step) {
  if (broken) return;
  broken = message;
  handle = null;
  post({ type: 'error', fatal: true, phase, step, message, detail });
}

function announce(snapshot) {
  session = snapshot;
  flush(true);
  post({ type: 'session', session: snapshot });
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
      `Loading ${name} took more than ${TIMEOUTS[step] / 1000} s. Check the connection to this site, then press Reset.`,
    );
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(await packageFault(PYODIDE_URL, name, err), `${err.message}\n${errors.join('\n')}`);
  } finally {
    stop();
  }
  if (!pyodide.loadedPackages[name]) {
    throw new StepError(await packageFault(PYODIDE_URL, name, errors.join(' ')), errors.join('\n'));
  }
}

async function fetchDigits() {
  let response;
  try {
    response = await withTimeout(fetch(DATA_URL), TIMEOUTS.data, 'Downloading the MNIST digits took too long. Check the connection, then press Reset.');
  } catch (err) {
    throw err instanceof StepError ? err : new StepError(digitsFault(DATA_PATH, null), err && err.message);
  }
  if (!response.ok) throw new StepError(digitsFault(DATA_PATH, response.status));
  let bytes;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    throw new StepError(digitsFault(DATA_PATH, null), err && err.message);
  }
  return gunzip(bytes);
}

/**
 * The digits file unzipped by the browser's zlib while Pyodide starts, rather than by Python's after it.
 * A file that does not unzip goes to Python as it is: pynet.data then says what is wrong with it.
 */
async function gunzip(bytes) {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b || typeof DecompressionStream !== 'function') return bytes;
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return bytes;
  }
}

/**
 * Pyodide 0.27 does not reject loadPyodide when its WebAssembly module fails to download or compile: it
 * logs "wasm instantiation failed!" and the error with console.warn, and waits forever. Watch for that
 * log while the runtime starts, so a broken runtime fails at once instead of after the timeout.
 */
function watchRuntimeFailure() {
  const warn = console.warn;
  let failed = false;
  let reject;
  const failure = new Promise((_, r) => { reject = r; });
  console.warn = (...args) => {
    warn.apply(console, args);
    if (args[0] === 'wasm instantiation failed!') failed = true;
    else if (failed) reject(Object.assign(args[0] instanceof Error ? args[0] : new Error(String(args[0])), { wasm: true }));
  };
  return { failure, restore: () => { console.warn = warn; } };
}

async function startRuntime() {
  const stopCreep = creep('runtime', 0.02, 0.6);
  const snapshotUrl = new URL(SNAPSHOT_FILE, PYODIDE_URL).href;
  const kept = snapshotKept(snapshotUrl);  // looked up while pyodide.mjs downloads
  try {
    const { loadPyodide } = await withTimeout(
      import('../pyodide/pyodide.mjs').catch((err) => { throw Object.assign(err, { file: 'pyodide/pyodide.mjs' }); }),
      TIMEOUTS.runtime, 'Loading the Pyodide runtime took too long. Check the connection to this site, then press Reset.');
    if (await kept) {
      try {
        const restored = await bootPython(loadPyodide, { _loadSnapshot: snapshotBytes(snapshotUrl) });
        afterRestore(restored);
        pythonStart = { from: 'snapshot' };
        return restored;
      } catch (err) {
        // A snapshot that does not restore (damaged, or of another runtime) costs one try, never the visit.
        const why = lastLine(err && err.message);
        pythonStart = { from: 'default', note: `its snapshot did not restore: ${why}` };
        console.info(`pynet: Python starts the default way; its snapshot did not restore (${why}).`);
      }
    }
    return await bootPython(loadPyodide, {});
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(await runtimeFault(PYODIDE_URL, err), err && (err.stack || err.message));
  } finally {
    stopCreep();
  }
}

/** loadPyodide with the page's options and `extra`, failing at once if its WebAssembly does not start. */
async function bootPython(loadPyodide, extra) {
  const watch = watchRuntimeFailure();
  try {
    return await withTimeout(
      Promise.race([watch.failure, loadPyodide({
        indexURL: PYODIDE_URL.href,
        lockFileURL: new URL('pyodide-lock.json', PYODIDE_URL).href,
        packages: ['numpy', 'pynet'],
        stdout: (line) => console.log(`[python] ${line}`),
        stderr: (line) => { stderrLines.push(line); if (stderrLines.length > 50) stderrLines.shift(); },
        ...extra,
      })]),
      TIMEOUTS.runtime,
      'Starting the Pyodide runtime took more than two minutes. Press Reset to try again.');
  } finally {
    watch.restore();
  }
}

async function init(msg) {
  if (msg.control) control = new Int32Array(msg.control);
  if (msg.interrupt) interrupt = new Uint8Array(msg.interrupt);
  holdLifeline(msg.lifeline);
  let step = 'runtime';
  let numpyVersion = '';
  try {
    pyodide = await loading.runtime;
    if (interrupt) pyodide.setInterruptBuffer(interrupt);

    // A package that failed inside loadPyodide is only logged there: check, and name the fix.
    step = 'numpy';
    post({ type: 'progress', step, fraction: 0.7 });
    if (!pyodide.loadedPackages.numpy) await loadPackage('numpy', 'numpy', 0.7, 0.78);
    step = 'pynet';
    post({ type: 'progress', step, fraction: 0.8 });
    if (!pyodide.loadedPackages.pynet) await loadPackage('pynet', 'pynet', 0.8, 0.85);

    step = 'data';
    post({ type: 'progress', step, fraction: 0.86 });
    const digits = await loading.digits;
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
      const message = /DataError/.test(err.message) ? unreadableDigits(DATA_PATH, pythonMessage(err.message))
        : `pynet could not start: ${lastLine(err.message)}`;
      throw new StepError(message, err.message);
    } finally {
      ns.destroy();
    }

    const presets = call({ type: 'presets' });  // its reply also carries the first session snapshot
    if (!presets.ok) throw new StepError(`pynet could not list its networks: ${presets.error}`, presets.detail);
    post({ type: 'progress', step: 'data', fraction: 1 });
    post({
      type: 'ready',
      presets: presets.presets,
      info: { pyodide: pyodide.version, numpy: numpyVersion, isolated: Boolean(control), pythonStart },
    });
    accelerate(msg.matmul || 'auto', Number(msg.threads) || 0);  // not awaited: the page is usable (and may train) before it lands
  } catch (err) {
    const message = err instanceof StepError ? err.message : `Loading failed (${step}): ${lastLine(err && err.message)}`;
    die(message, [err && (err.detail || err.stack), stderrLines.join('\n')].filter(Boolean).join('\n'), 'init', step);
  }
}

/**
 * Hold a Web Lock for as long as this worker lives. A worker that is killed or crashes sends nothing,
 * but its locks are released: the page, queued on the same lock, learns at once that it is gone.
 */
function holdLifeline(name) {
  if (!name || !self.navigator || !navigator.locks) return;
  navigator.locks.request(name, () => {
    post({ type: 'lifeline' });
    return new Promise(() => {});  // held until the worker ends
  }).catch(() => {});
}

/**
 * pynet's large matrix products go through pynet.blas, where a faster library than NumPy's own loop
 * can take them over: XNNPACK's SIMD kernel (web/js/xnnpack-matmul.js, the fastest on the dense
 * layers) on `threads` threads (0: one per core, where the page is cross-origin isolated), else
 * Pyodide's OpenBLAS (a larger download, slower than XNNPACK, faster than NumPy), else NumPy. It loads after Ready so it never delays the page,
 * and is switched on between two training steps once it passed pynet's self-check.
 */
async function accelerate(choice, threads) {
  const notes = [];
  let tanh = 'numpy';  // who does the large tanh's: XNNPACK's sigmoid comes with its product
  const enable = (name, payload) => {
    const reply = call({ type: 'accelerate', name }, payload);
    if (reply.ok) tanh = reply.tanh;
    if (reply.ok && reply.matmul === name) return true;
    notes.push(`${name} was refused: ${reply.ok ? "it failed pynet's self-check" : reply.error}`);
    return false;
  };
  const xnnpack = async () => {
    try {
      const { loadMatmul } = await import('./xnnpack-matmul.js');
      const matmul = await loadMatmul(pyodide, { threads });
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
  reportMatmul(matmul, notes, tanh);
}

/** Say which library does the products and why a faster one did not: name the file when one is at fault. */
async function reportMatmul(matmul, notes, tanh) {
  const xnnpackNote = notes.findIndex((n) => /^XNNPACK not loaded/.test(n));
  if (xnnpackNote >= 0) {
    const files = XNNPACK_FILES.map((f) => [`vendor/tfjs/${f}`, new URL(`../vendor/tfjs/${f}`, import.meta.url).href]);
    const fault = await firstUnusable(files);
    if (fault) notes[xnnpackNote] = `XNNPACK not loaded: ${fault}`;
  }
  const threads = xnnpackMatmul ? xnnpackMatmul.threads : 1;
  const oneThreadWhy = xnnpackMatmul ? xnnpackMatmul.oneThreadWhy : '';
  if (oneThreadWhy) console.info(`pynet: XNNPACK runs on one thread: ${oneThreadWhy}.`);
  post({ type: 'accelerated', matmul, notes, threads, oneThreadWhy, tanh });
}

// ── training loop ────────────────────────────────────────────────────────────────────────────

function queueEvents(events) {
  for (const e of events) {
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

const shouldStop = () => control !== null && Atomics.load(control, 0) !== 0;

/**
 * Run calls one after the other while the session is training, yielding between two so the page's
 * requests are served. The loop ends when Python's state leaves `training` (done, diverged, failed,
 * paused, stopped), and also when the page asked for a pause or stop (control word, interrupt): its
 * request is on its way and will move the state; resume starts the loop again.
 */
async function trainLoop() {
  if (looping) return;
  looping = true;
  try {
    while (session && session.state === 'training') {
      const reply = call({ type: 'run', max_seconds: RUN_SECONDS }, shouldStop);
      if (!reply.ok) {
        if (reply.detail) console.warn('pynet: training failed:', reply.detail);
        break;
      }
      if (reply.interrupted || shouldStop()) break;
      flush(false);
      await yieldToEvents();
    }
  } finally {
    looping = false;
    flush(true);
  }
}

// ── requests ─────────────────────────────────────────────────────────────────────────────────

const REQUESTS = {
  train(msg) {
    pending = [];
    const digits = msg.digits || {};
    const r = call({ type: 'configure', kind: msg.kind, preset: msg.preset, params: msg.params, code: msg.code, labels: digits.labels }, digits.pixels);
    if (r.ok) queueMicrotask(trainLoop);
    return r;
  },
  pause: () => call({ type: 'pause' }),
  resume() {
    const r = call({ type: 'resume' });
    if (r.ok) queueMicrotask(trainLoop);
    return r;
  },
  stop: () => call({ type: 'stop' }),
  predict: (msg) => call({ type: 'predict' }, msg.pixels),
  weights: (msg) => call({ type: 'weights', max_tiles: msg.maxTiles ?? 16 }),
  samples: (msg) => call({ type: 'samples', count: msg.count ?? 20 }),
  evaluation: () => call({ type: 'evaluation' }),
  digits: (msg) => call({ type: 'digits', indices: msg.indices }),
  status: () => ({
    ...call({ type: 'status' }),
    matmul_kept: xnnpackMatmul ? xnnpackMatmul.kept() : 0,
    memory: memory(),
  }),
  export: () => asFile(call({ type: 'export' })),
  import: (msg) => call({ type: 'import' }, msg.bytes),
  'digits-export': (msg) => asFile(call({ type: 'digits-export', labels: msg.digits.labels }, msg.digits.pixels)),
  'digits-import'(msg) {
    const r = call({ type: 'digits-import' }, msg.bytes);
    if (!r.ok) return r;
    const pixels = fromBase64(r.pixels_b64);
    return { ok: true, digits: { pixels, labels: r.labels }, transfer: [pixels.buffer] };
  },
  // The code panel's questions (pynet/codecell.py `answer`); not a session request.
  code: ({ op, preset, params, code, values }) => call({ type: 'code', op, preset, params, code, values }),
};

/** A reply carrying a file's bytes (base64 from Python) as {filename, bytes}, the bytes transferred. */
function asFile(r) {
  if (!r.ok) return r;
  const bytes = fromBase64(r.bytes_b64);
  return { ok: true, filename: r.filename, bytes, transfer: [bytes.buffer] };
}

function fromBase64(text) {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** Bytes of the worker's WebAssembly memories: Python's heap and, once loaded, XNNPACK's backend. */
function memory() {
  let xnnpack = null;
  try {
    const backend = globalThis.tf && globalThis.tf.findBackend('wasm');
    xnnpack = backend && backend.wasm ? backend.wasm.HEAP8.buffer.byteLength : null;
  } catch (err) { /* no backend: null */ }
  return { python: pyodide && pyodide._module ? pyodide._module.HEAP8.buffer.byteLength : null, xnnpack };
}

// Loading starts when this script runs, not when the page's init message arrives: a page busy with its own
// scripts delivers that message late, and the runtime's download and start need nothing from it. The
// digits download and the NumPy/pynet wheels (loadPyodide's `packages`, fetched while the interpreter
// boots) go in parallel with the runtime's start. Failures are reported where init awaits them.
const loading = { digits: fetchDigits(), runtime: startRuntime() };
for (const step of Object.values(loading)) step.catch(() => {});
let initialised = false;

self.onmessage = (event) => {
  const msg = event.data || {};
  if (msg.type === 'init') {
    if (!initialised) init(msg);
    initialised = true;
    return;
  }
  if (msg.id === undefined) return;
  const request = Object.hasOwn(REQUESTS, msg.type) ? REQUESTS[msg.type] : null;
  const result = !request ? { ok: false, error: `Unknown request "${msg.type}".` }
    : handle ? request(msg) : { ok: false, error: broken || 'Python is still loading.' };
  const { transfer, ...rest } = result;
  post({ type: 'reply', id: msg.id, ...rest }, transfer);
};

self.addEventListener('unhandledrejection', (event) => {
  const why = event.reason && event.reason.message ? event.reason.message : event.reason;
  post({ type: 'error', fatal: false, phase: 'worker', message: `Unexpected error in the worker: ${why}` });
});
