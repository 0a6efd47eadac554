// Pyodide 0.27.7's memory snapshot under Node.js, three ways, to see what survives a restore:
//   node bench/snapshot_probe.mjs NUMPY_WHEEL loadPackage|unzip|bare
// loadPackage: NumPy loaded as the page loads it, then the snapshot; unzip: the wheel unzipped into
// site-packages by Python and imported (its extension modules dlopen'ed by the import), then the snapshot;
// bare: the snapshot of the interpreter alone, NumPy loaded after the restore.
// Prints one JSON line per step (bench/snapshot.py reads them). With SNAPSHOT_OUT=FILE the snapshot is also
// written there; PYODIDE_DIR=DIR boots the Pyodide of DIR (the built site's) instead of node_modules'.
import { loadPyodide } from '../node_modules/pyodide/pyodide.mjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [wheel, how] = process.argv.slice(2);
const indexURL = process.env.PYODIDE_DIR ? `${process.env.PYODIDE_DIR.replace(/\/$/, '')}/`
  : fileURLToPath(new URL('../node_modules/pyodide/', import.meta.url));
const say = (o) => console.log(JSON.stringify({ how, ...o }));
const WORK = 'import numpy as np\nrng = np.random.default_rng(0)\na = rng.standard_normal((64, 64))\nfloat(np.tanh(a @ a.T).sum())';
const quiet = { messageCallback: () => {} };
const since = (t) => Math.round(performance.now() - t);
const failure = (err) => String((err && err.message) || err).trim().split('\n').slice(-1)[0];

async function addNumpy(pyodide) {
  if (how === 'unzip') {
    pyodide.FS.writeFile('/tmp/numpy.whl', readFileSync(wheel));
    pyodide.runPython("import zipfile, site\nzipfile.ZipFile('/tmp/numpy.whl').extractall(site.getsitepackages()[0])");
  } else {
    await pyodide.loadPackage(wheel, quiet);
  }
}

let t = performance.now();
const stock = await loadPyodide({ indexURL });
await addNumpy(stock);
const expected = stock.runPython(WORK);
say({ step: 'stock: boot, NumPy, a product', ms: since(t), result: expected });

t = performance.now();
const maker = await loadPyodide({ indexURL, _makeSnapshot: true });
if (how !== 'bare') {
  await addNumpy(maker);
  maker.runPython(WORK);
}
let bytes;
try {
  const made = performance.now();
  bytes = maker.makeMemorySnapshot();
  say({ step: 'makeMemorySnapshot', ms: since(made), bytes: bytes.length });
  if (process.env.SNAPSHOT_OUT) writeFileSync(process.env.SNAPSHOT_OUT, bytes);
} catch (err) {
  say({ step: 'makeMemorySnapshot', error: failure(err) });
  process.exit(0);
}

t = performance.now();
let restored;
try {
  restored = await loadPyodide({ indexURL, _loadSnapshot: bytes });
  say({ step: 'boot from the snapshot', ms: since(t) });
  if (how === 'bare') await restored.loadPackage(wheel, quiet);
} catch (err) {
  say({ step: 'boot from the snapshot', error: failure(err) });
  process.exit(0);
}
const checks = [
  ['numpy in sys.modules', "import sys\n'numpy' in sys.modules"],
  ["numpy's files on the file system", "import os, site\nos.path.isdir(os.path.join(site.getsitepackages()[0], 'numpy'))"],
  ['numpy works, same numbers', WORK],
];
for (const [step, code] of checks) {
  try {
    const result = restored.runPython(code);
    say({ step, result, ...(code === WORK ? { same: result === expected, ms_from_restore: since(t) } : {}) });
  } catch (err) {
    say({ step, error: failure(err) });
  }
}
