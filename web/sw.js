// The page's service worker: it keeps the files the page loaded, so that the page opens again
// and works with no network at all (a demo whose venue's network dies, a phone on a plane).
// Cache first: a file the cache holds is served from it; any other is fetched and kept. The
// page hands over the files it loaded before this worker was running ("keep"), so that the
// very first visit is enough. The exporter writes the site's version below; a new export is a
// new worker, which drops the old cache.

const VERSION = "/* version */";
const CACHE = `digitpad-${VERSION}`;

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

async function fetched(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, {ignoreSearch: true});
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && new URL(request.url).origin === self.location.origin) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  if (event.request.method !== "GET" || !event.request.url.startsWith("http")) return;
  event.respondWith(fetched(event.request));
});

self.addEventListener("message", (event) => {
  if (event.data?.keep) {
    event.waitUntil((async () => {
      const cache = await caches.open(CACHE);
      let kept = 0;
      for (const url of event.data.keep) {
        if (new URL(url).origin !== self.location.origin) continue;
        try {
          if (!(await cache.match(url))) await cache.add(url);
          kept++;
        } catch {
          // A file the page asked for and did not get (a 404): nothing to keep.
        }
      }
      event.source.postMessage({kept});
    })());
  }
});
