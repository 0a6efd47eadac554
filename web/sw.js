/*
 * pynet's service worker: after the first visit, the page starts, trains and draws with the network off.
 *
 * build.py writes this file into the site with `const BUILD = {version, files}` prepended (see
 * web/sitebuild/offline.py): `files` lists [path, SRI hash] of everything the page needs (the page, its
 * scripts, Pyodide, NumPy, pynet, the digits, TF.js's matrix kernel), and `version` is a hash of that list.
 * A new build is therefore a new worker script, which the browser notices on the next visit.
 *
 * - install:  every file of this build is fetched (revalidated with the server, never taken stale from the
 *             HTTP cache, and checked against its hash) into the cache `pynet-<version>`. One failure fails
 *             the install, and the previous version keeps serving.
 * - activate: caches of other versions are deleted; open pages are taken over. A page that was loaded
 *             from the previous version keeps running it; the next load gets this one.
 * - fetch:    same-origin GETs are answered from this version's cache. Files not in it (packages loaded
 *             on demand, such as OpenBLAS) come from the network and are kept for the next offline visit.
 *
 * Cached responses keep the headers the server sent (COOP, COEP, CORP, the Content-Security-Policy): a
 * page served from the cache is as isolated, and as restricted, as one served by the server.
 */
/* global BUILD */

const CACHE = `pynet-${BUILD.version}`;
const SCOPE = self.registration.scope;
const PAGE = new URL('index.html', SCOPE).href;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await Promise.all(BUILD.files.map(async ([path, integrity]) => {
      const url = new URL(path, SCOPE).href;
      const response = await fetch(url, { cache: 'no-cache', integrity });
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      await cache.put(url, response);
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('pynet-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(respond(event.request, url));
});

/** The page for navigations to the site's folder (any query: `?matmul=...`), else the file by path. */
function cacheKey(request, url) {
  const folder = url.href.slice(0, url.href.length - url.search.length - url.hash.length);
  if (request.mode === 'navigate' && (folder === SCOPE || folder === PAGE)) return PAGE;
  return url.origin + url.pathname;
}

async function respond(request, url) {
  const key = cacheKey(request, url);
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic' && !request.headers.has('range')) {
    cache.put(key, response.clone()).catch(() => {});  // a full disk must not fail the page's request
  }
  return response;
}
