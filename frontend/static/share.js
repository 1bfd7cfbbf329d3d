// A link to hand on (an invitation): the phone's share sheet where there is one, else a button that
// copies it. Without this script both stay hidden and the link can be selected and copied by hand.
(() => {
  'use strict'

  for (const button of document.querySelectorAll('[data-share]')) {
    if (navigator.share) button.hidden = false
  }
  for (const button of document.querySelectorAll('[data-copy]')) {
    button.hidden = false
  }

  const copy = async (field) => {
    try {
      await navigator.clipboard.writeText(field.value)
    } catch {
      field.select() // not a secure context, or no permission: the older way
      document.execCommand('copy')
    }
  }

  document.addEventListener('click', async (event) => {
    const share = event.target.closest('[data-share]')
    const copier = event.target.closest('[data-copy]')
    const selector = share?.dataset.share || copier?.dataset.copy
    const field = selector && document.querySelector(selector)
    if (!field) return
    if (share) {
      try {
        await navigator.share({ title: share.dataset.shareTitle, url: field.value })
      } catch { /* the person closed the share sheet */ }
      return
    }
    await copy(field)
    const done = copier.closest('[data-share-actions]')?.querySelector('[data-copied]')
    if (done) done.hidden = false
  })
})()
