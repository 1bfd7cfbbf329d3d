// The acceptance queue's badge counts the cards the page shows, so it follows live arrivals and
// departures (htmx swaps them in and out) without asking the server. After such a change the
// copy the worker keeps for offline reading is stale: it is asked to fetch a fresh one.
(() => {
  'use strict'

  const main = document.getElementById('main')
  let refresh = null
  const refreshCopy = () => {
    clearTimeout(refresh)
    refresh = setTimeout(() => {
      if (navigator.onLine) navigator.serviceWorker?.controller?.postMessage({ refresh: location.pathname })
    }, 500) // once the fetched cards are in
  }
  const count = () => {
    const queue = document.getElementById('order-queue')
    const badge = document.getElementById('queue-count')
    const cards = String(queue?.querySelectorAll('[data-queue-card]').length ?? '')
    if (badge && cards && badge.textContent !== cards) badge.textContent = cards // a change is a mutation too
  }
  if (main) {
    new MutationObserver(() => {
      count()
      refreshCopy()
    }).observe(main, { childList: true, subtree: true })
  }
  count()
})()
