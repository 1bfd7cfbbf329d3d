// The tracking page. Offline, the phone shows the copy of the page it last loaded (pwa/sw.js),
// which would show the order as it stood then: each time the live part redraws itself, the
// worker is asked to keep a fresh copy, so that opening the page without a network shows the last
// known state, with the moment it was known ("As of …"). The redraw also keeps the history open
// if the customer opened it.
(() => {
  'use strict'

  const here = () => location.pathname + location.search
  const isTracking = (event) => event.target?.id === 'tracking' || event.detail?.elt?.id === 'tracking'
  let historyOpen = false

  document.addEventListener('htmx:beforeSwap', (event) => {
    if (isTracking(event)) historyOpen = Boolean(document.getElementById('history')?.open)
  })
  document.addEventListener('htmx:afterSettle', (event) => {
    if (!isTracking(event)) return
    const history = document.getElementById('history')
    if (history && historyOpen) history.open = true
    navigator.serviceWorker?.controller?.postMessage({ refresh: here() })
  })
})()
