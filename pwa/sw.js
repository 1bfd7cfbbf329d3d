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

// Web Push ----------------------------------------------------------------------------------------
// What the dispatcher sends (backend/push/messages.py): { kind, title, body, tag, lang, url?,
// order_id?, accept?: { version, key, label, open_label } }. The tag is the order's: a newer
// notification about an order replaces the older one. A shopper's notification carries no URL
// (only their browser knows the tracking link): the page that subscribed left it in STATE.
const STATE = 'push-state' // kept across versions, shared with the pages (frontend/static/push.js)
const ICON = PRECACHE_URLS.find((path) => path.includes('icon-192')) || '/favicon.ico'

async function recalled (name) {
  const found = await (await caches.open(STATE)).match(`/push/state/${name}`)
  return found ? found.json() : null
}

async function remember (name, value) {
  await (await caches.open(STATE)).put(`/push/state/${name}`, new Response(JSON.stringify(value)))
}

self.addEventListener('push', (event) => {
  let message = {}
  try { message = event.data ? event.data.json() : {} } catch { message = { body: event.data.text() } }
  event.waitUntil(showMessage(message))
})

async function showMessage (message) {
  const url = message.url || (message.order_id && (await recalled(`order-${message.order_id}`))) || '/'
  const options = {
    body: message.body || '',
    icon: ICON,
    badge: ICON,
    tag: message.tag || undefined,
    renotify: Boolean(message.tag),
    lang: message.lang || undefined,
    timestamp: Date.now(),
    data: { url, kind: message.kind, orderId: message.order_id, accept: message.accept || null }
  }
  if (message.accept && message.order_id) {
    options.actions = [
      { action: 'accept', title: message.accept.label || 'Accept' },
      { action: 'open', title: message.accept.open_label || 'Open' }
    ]
  }
  await self.registration.showNotification(message.title || 'Comptoir', options)
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  const data = event.notification.data || {}
  event.waitUntil(event.action === 'accept' ? acceptFromNotification(data) : openPage(data.url || '/'))
})

// A window of the app already open is brought forward and taken to the page; otherwise one opens.
async function openPage (url) {
  const target = new URL(url, self.location.origin).href
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  const open = windows.find((client) => client.url === target) || windows.find((client) => 'navigate' in client)
  if (open) {
    // Focusing needs the tap's user activation; the page is taken to the order either way.
    await open.focus().catch(() => {})
    return open.url === target ? open : open.navigate(target)
  }
  return self.clients.openWindow(target)
}

// "Accept" from the notification: the same form the queue posts, with the notification's own
// idempotency key (a second tap is answered from the stored result, never applied twice) and the
// version the order had when it was announced (a changed order is refused). Anything but an
// accepted order (refused, signed out, offline) opens the order instead.
async function acceptFromNotification (data) {
  const page = data.url || `/orders/${data.orderId}`
  try {
    const token = await csrfToken()
    const body = new URLSearchParams({
      version: String(data.accept.version), _idempotency_key: data.accept.key, _csrf_token: token
    })
    const response = await fetch(`/orders/${data.orderId}/accept`, {
      method: 'POST', body, credentials: 'same-origin', redirect: 'manual', headers: { 'x-csrftoken': token }
    })
    // Accepted: the queue answers with a redirect (seen here as an opaque one).
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      for (const client of await self.clients.matchAll({ type: 'window' })) client.postMessage({ pushAccepted: data.orderId })
      return
    }
  } catch (error) {
    // offline: open the order below, where the person sees its state and decides
  }
  return openPage(page)
}

// The CSRF token is the csrftoken cookie's value: read where the worker may read cookies, else
// the one the last page with notifications turned on left behind.
async function csrfToken () {
  if (self.cookieStore) {
    const cookie = await self.cookieStore.get('csrftoken').catch(() => null)
    if (cookie && cookie.value) return cookie.value
  }
  return (await recalled('csrf')) || ''
}

// The push service replaced or ended the subscription: subscribe again, for the same person or
// order and the same kinds, and forget the old one on the server.
self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(resubscribe(event.oldSubscription, event.newSubscription))
})

async function resubscribe (oldSubscription, newSubscription) {
  const kept = (await recalled('subscription')) || { kinds: null, token: null }
  let subscription = newSubscription
  if (!subscription) {
    const { public_key: key } = await (await fetch('/push/key', { credentials: 'same-origin' })).json()
    const raw = atob(key.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - key.length % 4) % 4))
    subscription = await self.registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: Uint8Array.from(raw, (c) => c.charCodeAt(0))
    })
  }
  const token = await csrfToken()
  const headers = { 'content-type': 'application/json', accept: 'application/json', 'x-csrftoken': token }
  const post = (method, body) => fetch('/push/subscriptions', { method, headers, credentials: 'same-origin', body: JSON.stringify(body) })
  const answer = await post('POST', { ...subscription.toJSON(), kinds: kept.kinds, token: kept.token })
  if (!answer.ok) throw new Error(`subscribing again answered ${answer.status}`)
  await remember('subscription', { endpoint: subscription.endpoint, kinds: kept.kinds, token: kept.token })
  const old = oldSubscription ? oldSubscription.endpoint : kept.endpoint
  if (old && old !== subscription.endpoint) await post('DELETE', { endpoint: old, token: kept.token })
}
