// Comptoir's service worker, served at /sw.js so that its scope is the whole app.
// backend/pwa/worker.py stamps the two constants below: the version changes whenever what is
// precached changes, so each deployment installs a fresh shell and drops the old one.
const VERSION = '__CACHE_VERSION__'
const PRECACHE_URLS = __PRECACHE_URLS__
const CACHE = `comptoir-shell-${VERSION}`
const OFFLINE_URL = '/offline'

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE_URLS))
      .then(() => self.skipWaiting())
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith('comptoir-') && name !== CACHE).map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  )
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  // Anything not handled here goes to the network exactly as if there were no worker:
  // other origins (the CDN keeps its own caching and SRI), the live socket and the API.
  if (url.origin !== self.location.origin || url.pathname === '/ws' || url.pathname.startsWith('/api/')) return
  if (request.method !== 'GET') {
    // Writes are never cached; they go to the network as they are.
    // Pages are cached per person: signing out must not leave them readable on a shared phone.
    if (url.pathname === '/logout') event.waitUntil(forgetPages())
    return
  }
  if (request.mode === 'navigate') {
    event.respondWith(networkFirst(event))
  } else if (url.pathname.startsWith('/static/') || PRECACHE_URLS.includes(url.pathname)) {
    event.respondWith(cacheFirst(event))
  }
})

// Pages: always the newest when there is a network; otherwise the copy from the last visit,
// and the offline page for a page never visited on this device.
async function networkFirst (event) {
  const cache = await caches.open(CACHE)
  try {
    const response = await fetch(event.request)
    // Redirects cannot answer a navigation from the cache, and error pages are not worth keeping.
    if (response.ok && response.type === 'basic') event.waitUntil(cache.put(event.request, response.clone()))
    return response
  } catch (error) {
    return (await cache.match(event.request)) || (await cache.match(OFFLINE_URL)) || Promise.reject(error)
  }
}

// Static files carry a content hash in their URL (or are pinned by SRI), so a cached copy is
// never stale.
async function cacheFirst (event) {
  const cache = await caches.open(CACHE)
  const cached = await cache.match(event.request)
  if (cached) return cached
  const response = await fetch(event.request)
  if (response.ok) event.waitUntil(cache.put(event.request, response.clone()))
  return response
}

async function forgetPages () {
  const cache = await caches.open(CACHE)
  const shell = new Set(PRECACHE_URLS.map((path) => new URL(path, self.location.origin).href))
  const requests = await cache.keys()
  await Promise.all(requests.filter((request) => !shell.has(request.url)).map((request) => cache.delete(request)))
}
