// Web Push opt-in (templates/push/ask.html): asks the browser's permission only when the person
// clicks, subscribes with the shop's VAPID key (GET /push/key) and hands the subscription, with
// the kinds this place asks for, to the server (POST /push/subscriptions). "Stop" forgets it on
// both sides. The service worker (pwa/sw.js) shows what arrives; what it needs later (the kinds
// and tracking token to subscribe again, the CSRF token for the "Accept" action, which tracking
// page an order's notification opens) is kept in a small cache both can read.
(() => {
  'use strict'

  if (window.ComptoirPush) return // the component may be on a page twice, or swapped in again
  const STATE = 'push-state' // not 'comptoir-…': the worker clears those caches on each version

  const supported = () =>
    'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window && 'caches' in window

  const csrfToken = () => {
    try { return JSON.parse(document.body.getAttribute('hx-headers'))['x-csrftoken'] } catch { return '' }
  }

  async function remember (name, value) {
    const cache = await caches.open(STATE)
    await cache.put(`/push/state/${name}`, new Response(JSON.stringify(value)))
  }

  async function recalled (name) {
    const found = await (await caches.open(STATE)).match(`/push/state/${name}`)
    return found ? found.json() : null
  }

  function applicationServerKey (base64url) {
    const raw = atob(base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - base64url.length % 4) % 4))
    return Uint8Array.from(raw, (c) => c.charCodeAt(0))
  }

  async function send (method, body) {
    const response = await fetch('/push/subscriptions', {
      method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrftoken': csrfToken() },
      body: JSON.stringify(body)
    })
    if (!response.ok) throw new Error(`push subscription answered ${response.status}`)
    return method === 'DELETE' ? null : response.json()
  }

  function show (box, state) {
    const said = box.querySelector('[data-push-state]')
    said.textContent = state ? box.dataset[`text${state}`] || '' : ''
    said.hidden = !said.textContent
    box.querySelector('[data-push-enable]').hidden = state === 'On'
    box.querySelector('[data-push-disable]').hidden = state !== 'On'
  }

  const told = () => document.body.dispatchEvent(new CustomEvent('push-changed', { bubbles: true }))

  async function enable (box) {
    const permission = await Notification.requestPermission()
    if (permission !== 'granted') return show(box, permission === 'denied' ? 'Denied' : 'Off')
    const registration = await navigator.serviceWorker.ready
    const { public_key: key } = await (await fetch('/push/key', { credentials: 'same-origin' })).json()
    const subscription = (await registration.pushManager.getSubscription()) ||
      (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: applicationServerKey(key) }))
    const kinds = box.dataset.kinds ? box.dataset.kinds.split(' ') : null
    const token = box.dataset.token || null
    const kept = await send('POST', { ...subscription.toJSON(), kinds, token })
    await remember('subscription', { endpoint: subscription.endpoint, kinds, token })
    await remember('csrf', csrfToken())
    if (kept.order_id) await remember(`order-${kept.order_id}`, location.pathname)
    show(box, 'On')
    told()
  }

  async function disable (box) {
    const registration = await navigator.serviceWorker.ready
    const subscription = await registration.pushManager.getSubscription()
    if (subscription) {
      await send('DELETE', { endpoint: subscription.endpoint, token: box.dataset.token || null })
      await subscription.unsubscribe()
    }
    show(box, 'Off')
    told()
  }

  async function setUp (box) {
    if (box.dataset.pushReady) return
    box.dataset.pushReady = 'true'
    box.hidden = false
    const act = (work) => () => work(box).catch(() => show(box, 'Failed'))
    box.querySelector('[data-push-enable]').addEventListener('click', act(enable))
    box.querySelector('[data-push-disable]').addEventListener('click', act(disable))
    if (Notification.permission === 'denied') return show(box, 'Denied')
    const registration = await navigator.serviceWorker.getRegistration('/')
    const subscription = registration && (await registration.pushManager.getSubscription())
    const kept = await recalled('subscription')
    // One subscription per browser: "on" here only if it was made for this person or this order.
    const same = kept && subscription && kept.endpoint === subscription.endpoint && (kept.token || '') === (box.dataset.token || '')
    if (same && Notification.permission === 'granted') {
      await remember('csrf', csrfToken()) // the freshest token for the worker's "Accept"
      show(box, 'On')
    }
  }

  const setUpAll = (root) => {
    if (!supported()) return
    root.querySelectorAll('[data-push-ask]').forEach((box) => setUp(box).catch(() => {}))
  }

  window.ComptoirPush = { setUpAll }
  setUpAll(document)
  document.addEventListener('htmx:load', (event) => setUpAll(event.target))
})()
