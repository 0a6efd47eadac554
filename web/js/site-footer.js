// The footer's facts about this copy of the page: which build it is, and which library does the matrix
// products, with the reason when the fastest one (XNNPACK, through TF.js's files) could not be used: the
// page then still works, only slower, and says so rather than leaving a person to wonder.

export class SiteFooter {
  constructor(client, { build, matmul }) {
    this.els = { build, matmul };
    client.addEventListener('accelerated', (e) => this.showMatmul(e.detail));
    client.addEventListener('change', (e) => { if (e.detail.what === 'runtime' && client.runtime === 'loading') matmul.textContent = ''; });
    this.showBuild();
  }

  showMatmul({ matmul, notes = [], threads = 1, oneThreadWhy }) {
    const name = { xnnpack: 'XNNPACK', openblas: 'OpenBLAS' }[matmul] || "NumPy's own";
    const why = notes.length ? ` (${notes.map(sitePaths).join('; ')})` : '';
    // XNNPACK's threads, and why only one where the machine has more cores.
    const on = matmul !== 'xnnpack' ? ''
      : threads > 1 ? ` on ${threads} threads` : ` on one thread (${oneThreadWhy || 'one core'})`;
    this.els.matmul.textContent = `Matrix products: ${name}${on}${why}.`;
  }

  /** Which build this is (written by build.py); purely informative, so failures are ignored. */
  showBuild() {
    fetch('build-info.json', { cache: 'no-cache' })
      .then((r) => (r.ok ? r.json() : null))
      .then((info) => {
        if (!info) return;
        const parts = [];
        if (info.pyodide_version) parts.push(`Pyodide ${info.pyodide_version}`);
        if (info.built_at) parts.push(`built ${String(info.built_at).slice(0, 10)}`);
        this.els.build.textContent = parts.length ? `(${parts.join(', ')})` : '';
      })
      .catch(() => {});
  }
}

/** URLs of this site shortened to their path in it ("…/vendor/tfjs/x.js" → "vendor/tfjs/x.js"). */
function sitePaths(text) {
  const base = new URL('.', document.baseURI).href;
  return String(text).split(base).join('');
}
