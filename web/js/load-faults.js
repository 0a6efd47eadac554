// What went wrong while the worker loaded Python, said so that a person knows which file and what to do.
//
// Pyodide's own errors rarely name the file ("Failed to fetch", or for the runtime no error at all), so
// after a failure the worker asks the server again for the files of the step that failed: a file that is
// not there gives its HTTP status, one that arrives but does not match the sha256 of pyodide-lock.json is
// damaged, one that cannot be fetched at all points at the connection.

export const RESET = 'Press Reset to try again';
export const REBUILD = 'rebuild the site with `python build.py`';

/** Why `url` cannot be used, in a few words ("is not on the server (HTTP 404)"), or null if it can. */
export async function whyUnusable(url, sha256) {
  let response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (err) {
    return 'could not be downloaded (the connection failed)';
  }
  if (!response.ok) return `is not on the server (HTTP ${response.status})`;
  if (!sha256 || !self.crypto || !crypto.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', await response.arrayBuffer());
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return hex === sha256 ? null : 'is damaged: its content does not match its checksum in pyodide-lock.json';
}

/** The first of `files` ([name, url, sha256?]) that cannot be used, as "name why", or null. */
export async function firstUnusable(files) {
  for (const [name, url, sha256] of files) {
    const why = await whyUnusable(url, sha256);
    if (why) return `${name} ${why}`;
  }
  return null;
}

/** The Pyodide runtime did not start: which of its files is at fault. */
export async function runtimeFault(base, error) {
  const files = ['pyodide.mjs', 'pyodide-lock.json', 'pyodide.asm.js', 'pyodide.asm.wasm', 'python_stdlib.zip']
    .map((f) => [`pyodide/${f}`, new URL(f, base).href]);
  // Served whole, yet not a module that compiles: the file itself is damaged.
  const file = error && (error.file || (error.wasm && 'pyodide/pyodide.asm.wasm'));
  const fallback = file ? `${file} is damaged (${firstLine(error)})`
    : `it failed (${firstLine(error)}); one of its files in pyodide/ may be damaged`;
  const fault = await firstUnusable(files) || fallback;
  return `The Python runtime (Pyodide) could not start: ${fault}. ${RESET}; if it keeps failing, ${REBUILD}.`;
}

/** A package (numpy, pynet) did not load: is its wheel missing, damaged or out of reach? */
export async function packageFault(base, name, error) {
  let entry = null;
  try {
    const lock = await (await fetch(new URL('pyodide-lock.json', base), { cache: 'no-store' })).json();
    entry = lock.packages && lock.packages[name];
  } catch (err) { /* the lock itself is then the problem; say what Pyodide said */ }
  const label = name === 'numpy' ? 'NumPy' : name;
  const fix = name === 'numpy'
    ? 'rebuild the site with a NumPy source — `python build.py --numpy-wheel PATH` with NumPy\'s Pyodide wheel, '
      + 'or plain `python build.py` on a machine that can download it (not --allow-missing-numpy)'
    : REBUILD;
  if (!entry) {
    return `${label} is missing from this build (pyodide-lock.json does not list it), so pynet cannot run: ${fix}, then press Reset.`;
  }
  const file = `pyodide/${entry.file_name}`;
  const why = await whyUnusable(new URL(entry.file_name, base).href, entry.sha256);
  if (why && why.startsWith('is not on the server')) {
    return `${label} is missing from this build (${file} ${why}), so pynet cannot run: ${fix}, then press Reset.`;
  }
  const fault = why ? `${file} ${why}` : `it failed (${firstLine(error)})`;
  return `${label} could not be loaded: ${fault}. ${RESET}; if it keeps failing, ${fix}.`;
}

/** The digits file could not be fetched (`status`: its HTTP status, or null when the request failed). */
export function digitsFault(path, status) {
  if (status) return `The MNIST digits file is missing (HTTP ${status} for ${path}): ${REBUILD}, then press Reset.`;
  return `The MNIST digits file (${path}) could not be downloaded (the connection failed). Check the connection, then press Reset.`;
}

/** The digits arrived but Python could not read them. */
export function unreadableDigits(path, pythonMessage) {
  return `The MNIST digits file (${path}) is damaged: ${pythonMessage}. ${RESET}; if it keeps failing, ${REBUILD}.`;
}

/** A Python exception's last line without its type ("pynet.data.DataError: x" -> "x"). */
export function pythonMessage(text) {
  return lastLine(text).replace(/^[\w.]+(Error|Exception): /, '').replace(/^<digits bytes>: /, '');
}

export function lastLine(text) {
  const lines = String(text || '').trim().split('\n').filter(Boolean);
  return lines[lines.length - 1] || String(text);
}

function firstLine(error) {
  return String((error && error.message) || error || 'unknown error').trim().split('\n')[0];
}
