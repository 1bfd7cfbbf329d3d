// The acceptance queue's badge counts the cards the page shows, so it follows live arrivals and
// departures (htmx swaps them in and out) without asking the server.
(() => {
  'use strict'

  const count = () => {
    const queue = document.getElementById('order-queue')
    const badge = document.getElementById('queue-count')
    if (queue && badge) badge.textContent = queue.querySelectorAll('[data-queue-card]').length
  }
  const main = document.getElementById('main')
  if (main) new MutationObserver(count).observe(main, { childList: true, subtree: true })
  count()
})()
