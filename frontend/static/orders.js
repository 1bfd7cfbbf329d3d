// The acceptance queue and an order's page. The queue's badge counts the cards the page shows,
// so it follows live arrivals and departures (htmx swaps them in and out) without asking the
// server. After such a change, on either page, the copy the worker keeps for offline reading is
// stale: it is asked to fetch a fresh one. Waiting times keep counting on a page left open, said
// as the server says them (backend/moments.py: the largest unit there are two of), and a card is
// marked late as soon as it is.
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
      if (changes.some((change) => !change.target.closest?.('[data-waited]'))) refreshCopy()
    }).observe(main, { childList: true, subtree: true })
  }
  const UNITS = [['year', 31536000], ['month', 2592000], ['week', 604800], ['day', 86400], ['hour', 3600]]
  const said = (seconds) => {
    const lang = document.documentElement.lang || 'en'
    const [unit, size] = UNITS.find(([, size]) => seconds / size >= 2) || ['minute', 60]
    const value = unit === 'minute' ? Math.floor(seconds / 60) : Math.round(Math.floor(seconds / 60) * 60 / size)
    return new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' }).format(value)
  }
  const tick = () => {
    for (const card of document.querySelectorAll('[data-queue-card][data-placed-at]')) {
      const seconds = Math.max(0, (Date.now() - Date.parse(card.dataset.placedAt)) / 1000)
      const minutes = Math.floor(seconds / 60)
      const shown = card.querySelector('[data-waited]')
      const text = said(seconds)
      if (shown && shown.textContent !== text) shown.textContent = text
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
