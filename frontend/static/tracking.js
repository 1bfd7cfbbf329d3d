// The tracking page, offline: the phone keeps the copy of the page it last loaded (pwa/sw.js),
// which would show the order as it stood then. Each time the live part redraws itself, the worker
// is asked to keep a fresh copy, so that opening the page without a network shows the last known
// state, with the moment it was known ("As of …").
(() => {
  'use strict'

  const here = () => location.pathname + location.search
  document.addEventListener('htmx:afterSettle', (event) => {
    if (event.target?.id !== 'tracking' && event.detail?.elt?.id !== 'tracking') return
    navigator.serviceWorker?.controller?.postMessage({ refresh: here() })
  })
})()
