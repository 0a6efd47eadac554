// Offline use: the service worker (sw.js, written into the site by the build) keeps this build of the page,
// Pyodide, NumPy, pynet and the digits after the first visit, so later visits work with the network off.

/**
 * Register the service worker; `onKept()` runs once a complete copy of a build is in its cache. Called once
 * the page is Ready, so that copying the site never competes with Python's start. Browsers without
 * service workers (and pages not served from https or localhost) simply go without.
 */
export function keepOffline(onKept) {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('sw.js').catch((err) => {
    console.info(`pynet: this page cannot be kept for offline use (${err.message}).`);
  });
  // An active worker has cached its whole build (its install copies every file or fails).
  navigator.serviceWorker.ready.then(() => onKept());
}
