// Shared-document panels arrive after the page (htmx): once one is drawn, show the share button
// where the phone has a share sheet and the copy button everywhere; share.js answers the clicks.
(() => {
  'use strict'

  const reveal = () => {
    for (const button of document.querySelectorAll('[data-made-link] [data-share]')) {
      if (navigator.share) button.hidden = false
    }
    for (const button of document.querySelectorAll('[data-made-link] [data-copy]')) {
      button.hidden = false
    }
  }

  reveal()
  document.addEventListener('htmx:afterSettle', reveal)
})()
