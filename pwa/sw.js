// Comptoir's service worker, served at /sw.js so that its scope is the whole app.
// backend/pwa/worker.py stamps the two constants below: the version changes whenever what is
// precached changes, so each deployment installs a fresh shell and drops the old one.
const VERSION = '__CACHE_VERSION__'
const PRECACHE_URLS = __PRECACHE_URLS__
const CACHE = `comptoir-shell-${VERSION}`
const OFFLINE_URL = '/offline'

// The outbox of offline form submissions, shared with the pages (frontend/static/outbox.js).
importScripts(__OUTBOX_URL__)

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
    event.respondWith(networkFirst(event, request, OFFLINE_URL))
  } else if (request.headers.get('HX-Request') === 'true') {
    // htmx asks for a part of a page (a search, the next rows): the same URL as a whole page,
    // a different answer, so it is kept under a key of its own, and there is no offline page to
    // put in its place.
    event.respondWith(networkFirst(event, fragmentKey(url)))
  } else if (url.pathname.startsWith('/static/') || PRECACHE_URLS.includes(url.pathname)) {
    event.respondWith(cacheFirst(event))
  }
})

// Pages: always the newest when there is a network; otherwise the copy from the last visit,
// and the offline page for a page never visited on this device.
async function networkFirst (event, key, fallback) {
  const cache = await caches.open(CACHE)
  try {
    const response = await fetch(event.request)
    // Redirects cannot answer a navigation from the cache, and error pages are not worth keeping.
    if (response.ok && response.type === 'basic') event.waitUntil(cache.put(key, response.clone()))
    return response
  } catch (error) {
    return (await cache.match(key)) || (fallback && (await cache.match(fallback))) || Promise.reject(error)
  }
}

function fragmentKey (url) {
  const key = new URL(url)
  key.searchParams.set('_fragment', '1')
  return key.href
}

// Background Sync: the browser wakes the worker once it has a network, even with no page open.
// A rejection asks the browser to try again later, which is what records still pending need.
self.addEventListener('sync', (event) => {
  if (event.tag === ComptoirOutbox.SYNC_TAG) event.waitUntil(replayOutbox())
})

async function replayOutbox () {
  const user = await ComptoirOutbox.currentUser()
  if (!user) return
  const { results, stopped } = await ComptoirOutbox.replay(user)
  const sent = results.filter((result) => result.outcome === 'sent')
  await Promise.all(sent.map((result) => refreshPage(result.record.page).catch(() => {})))
  if (stopped) throw new Error('the outbox still has changes to send')
}

// A page whose form was just saved asks for a fresh copy of itself, if one is kept for offline
// reading: otherwise opening it offline later would offer a version the server has moved past.
self.addEventListener('message', (event) => {
  const page = event.data && event.data.refresh
  if (typeof page !== 'string' || new URL(page, self.location.origin).origin !== self.location.origin) return
  event.waitUntil(refreshPage(page).catch(() => {}))
})

async function refreshPage (page) {
  const cache = await caches.open(CACHE)
  if (!(await cache.match(page))) return
  const response = await fetch(page)
  if (response.ok && !response.redirected && response.type === 'basic') await cache.put(page, response)
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
