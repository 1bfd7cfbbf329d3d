// The acceptance queue and an order's page. The queue's badge counts the cards the page shows,
// so it follows live arrivals and departures (htmx swaps them in and out) without asking the
// server. After such a change, on either page, the copy the worker keeps for offline reading is
// stale: it is asked to fetch a fresh one. Waiting times keep counting on a page left open, and a
// card is marked late as soon as it is.
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
    new MutationObserver((changes) => {
      count()
      // A ticking minute is not news: the kept copy counts from the same placing time.
      if (changes.some((change) => !change.target.closest?.('[data-minutes]'))) refreshCopy()
    }).observe(main, { childList: true, subtree: true })
  }
  const tick = () => {
    for (const card of document.querySelectorAll('[data-queue-card][data-placed-at]')) {
      const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(card.dataset.placedAt)) / 60000))
      const shown = card.querySelector('[data-minutes]')
      if (shown && shown.textContent !== String(minutes)) shown.textContent = minutes
      const late = minutes >= Number(card.dataset.alertMinutes)
      card.classList.toggle('queue-card--late', late)
      card.toggleAttribute('data-late', late)
    }
  }
  // An order's page redraws itself when the order changes elsewhere (orders/_live_order.html),
  // but not the actions while one of their forms is open: what someone is typing stays theirs,
  // and saving it then meets the version check like any late change.
  document.addEventListener('htmx:oobBeforeSwap', (event) => {
    const target = event.detail.target
    if (target?.id === 'order-actions' && target.querySelector('details[open]')) event.detail.shouldSwap = false
  })
  count()
  setInterval(tick, 30000)
})()
