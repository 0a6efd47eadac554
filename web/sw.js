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
 *             the install, and the previous version's copy stays.
 * - activate: caches of other versions are deleted; open pages are taken over.
 * - fetch:    while the network works, the browser answers as if there were no service worker (its HTTP
 *             cache, revalidated with the server): every visit gets the server's current build, and starts
 *             faster than from this copy (see bench/README.md, "Start-up"). Only the page itself is fetched
 *             through here: when that fails, or the browser says it is offline, the page and then every
 *             file it asks for come from this copy.
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
    // The page's request starts while this worker wakes up, instead of after.
    await self.registration.navigationPreload?.enable();
    await self.clients.claim();
  })());
});

let networkDown = false;  // the last page request failed: answer from the copy until one succeeds

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(navigate(event, url));
  } else if (networkDown || !self.navigator.onLine) {
    event.respondWith(fromCopy(request, url));
  }
});

async function navigate(event, url) {
  if (self.navigator.onLine) {
    try {
      const response = (await event.preloadResponse) || await fetch(event.request);
      networkDown = false;
      return response;
    } catch (err) {
      // the server cannot be reached: the copy answers
    }
  }
  networkDown = true;
  return fromCopy(event.request, url);
}

/** The page for requests of the site's folder (any query: `?matmul=...`), else the file by its path. */
function cacheKey(request, url) {
  const folder = url.href.slice(0, url.href.length - url.search.length - url.hash.length);
  if (request.mode === 'navigate' && (folder === SCOPE || folder === PAGE)) return PAGE;
  return url.origin + url.pathname;
}

async function fromCopy(request, url) {
  const copy = await (await caches.open(CACHE)).match(cacheKey(request, url));
  return copy || fetch(request);  // not in the copy (a package loaded on demand): the network, if any
}
