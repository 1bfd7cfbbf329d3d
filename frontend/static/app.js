// Only what htmx cannot do: the service worker, the connection badge, resuming the live stream
// where it left off, and dismissing toasts. No framework, no build step.
(() => {
  'use strict'

  const TOAST_SECONDS = 6
  const MAX_TOASTS = 1 // a newer one takes the place of the last: they never pile up over the page

  if ('serviceWorker' in navigator) {
    window.addEventListener('load', () => navigator.serviceWorker.register('/sw.js', { scope: '/' }))
  }

  // "Live" needs both a network and an open socket; a signed-out page has no socket to wait for.
  const badge = document.getElementById('connection')
  let socketOpen = true
  const showConnection = () => {
    if (badge) badge.dataset.state = navigator.onLine && socketOpen ? 'online' : 'offline'
  }
  window.addEventListener('online', showConnection)
  window.addEventListener('offline', showConnection)
  document.addEventListener('htmx:wsOpen', () => { socketOpen = true; showConnection() })
  document.addEventListener('htmx:wsClose', () => { socketOpen = false; showConnection() })
  showConnection()

  const cursor = () => document.getElementById('live-cursor')

  // A live message carries the parts every kind of page may show (the feed, the queue, an order's
  // page …); this page takes those it has a place for. The others are not errors: without this,
  // htmx would report each one (htmx:oobErrorNoTarget). An item to insert that the page already
  // shows (a page rendered just after the change, then sent the change again) is not shown twice.
  if (window.htmx) {
    htmx.defineExtension('live-parts', {
      transformResponse: (text, xhr) => {
        if (xhr) return text // an ordinary answer: htmx swaps it as asked
        const message = document.createElement('template')
        message.innerHTML = text
        for (const part of [...message.content.children]) {
          if (part.id && !document.getElementById(part.id)) part.remove()
          else if (part.getAttribute('hx-swap-oob') !== 'true') {
            for (const item of [...part.children]) if (item.id && document.getElementById(item.id)) item.remove()
          }
        }
        return message.innerHTML
      }
    })
  }

  // A live redraw must not take what someone is typing. A form being edited (a field changed from
  // what the page was drawn with) stays as it is, node and all, in the new version of the part:
  // what was typed, a chosen file, the caret, and its hidden fields too, so that it is saved
  // against the version it was opened on (a change made meanwhile elsewhere is then refused as a
  // conflict, not overwritten). The rest of the part is redrawn, a field focused but untouched (a
  // scanner's box, always focused) with it.
  const changed = (field) => {
    if (field.type === 'hidden') return false // set by scripts (a key, a position), never typed
    if (field.type === 'checkbox' || field.type === 'radio') return field.checked !== field.defaultChecked
    if (field.tagName === 'SELECT') return [...field.options].some((option) => option.selected !== option.defaultSelected)
    if (field.type === 'file') return field.files.length > 0
    return 'defaultValue' in field && field.value !== field.defaultValue
  }
  // Typed by the person (not filled in by a script: a camera's read, a position), and not sent
  // since: once sent, its answer or the next redraw shows what was saved.
  const edited = (form) => form.dataset.typed !== undefined && [...form.elements].some(changed)
  document.addEventListener('submit', (event) => { delete event.target.dataset.typed }, true)
  for (const kind of ['input', 'change']) {
    document.addEventListener(kind, (event) => {
      if (event.isTrusted && event.target.form) event.target.form.dataset.typed = ''
    }, true)
  }
  // The same form in the new version: by its id, else by its action among the part's forms.
  const counterpart = (fragment, target, form) => {
    if (form.id) return fragment.getElementById?.(form.id) ?? fragment.querySelector(`#${CSS.escape(form.id)}`)
    const action = form.getAttribute('action')
    const alike = (root) => [...root.querySelectorAll('form')].filter((each) => each.getAttribute('action') === action)
    return alike(fragment)[alike(target).indexOf(form)] ?? null
  }
  let typing = null // the field focused in a form moved into a redrawn part, and its selection
  // On window, so that it runs after the page's own listeners (on document), which may keep the
  // part as it is: the form is moved only into a part that is swapped in.
  window.addEventListener('htmx:oobBeforeSwap', (event) => {
    const { target, fragment } = event.detail
    if (!event.detail.shouldSwap) return
    if (target.tagName === 'FORM' && edited(target)) {
      event.detail.shouldSwap = false // the part is the form itself: it waits for the next redraw
      return
    }
    const active = document.activeElement
    typing = null
    for (const form of [...target.querySelectorAll('form')].filter(edited)) {
      const twin = counterpart(fragment, target, form)
      if (!twin) continue
      // Moving the form takes the focus from it: it is given back once the part is in place.
      if (form.contains(active)) typing = { field: active, start: active.selectionStart, end: active.selectionEnd }
      twin.replaceWith(form)
    }
  })
  document.addEventListener('htmx:oobAfterSwap', () => {
    const { field, start, end } = typing ?? {}
    typing = null
    if (!field?.isConnected || document.activeElement === field) return
    field.focus({ preventScroll: true })
    if (start != null && field.setSelectionRange) {
      try { field.setSelectionRange(start, end) } catch { /* a field without a caret (a number) */ }
    }
  })

  // The extension reconnects to the URL the page was rendered with. Asking instead from the last
  // event this page has shown means the server's replay (sent before any live event, so nothing
  // slips between the two) brings exactly what was missed: no duplicates, no gap.
  if (window.htmx && htmx.createWebSocket) {
    const createWebSocket = htmx.createWebSocket
    htmx.createWebSocket = (url) => {
      const last = Number(cursor()?.dataset.lastEvent)
      if (!(last > 0)) return createWebSocket(url)
      const resumed = new URL(url)
      resumed.searchParams.set('since', last)
      return createWebSocket(resumed.href)
    }
  }

  // Missed too much to replay: the server says so, and a fresh page is the honest answer.
  // One of a customer's orders changed (storefront/_live_my_orders.html): what shows their
  // orders asks for itself again, on "orders-changed" (a plain event: no trigger filter to eval).
  // The mark is read once: a message that brings no cursor (the run one of their orders waits on,
  // storefront/_live_tracking.html) leaves the last one in place.
  document.addEventListener('htmx:wsAfterMessage', () => {
    const mark = cursor()?.dataset
    if (mark?.reload === 'true') location.reload()
    else if (mark?.ordersChanged === 'true') {
      delete mark.ordersChanged
      htmx.trigger(document.body, 'orders-changed')
    }
  })
  // A tracking page's order changed (storefront/_live_tracking.html): its status asks for itself
  // again on "tracking-changed", a plain event, as a trigger filter would need eval.
  document.addEventListener('htmx:oobAfterSwap', (event) => {
    if (event.detail.target?.id === 'tracking-changed') htmx.trigger(document.body, 'tracking-changed')
  })

  // Toasts live in a fixed layer, so removing them never moves the page.
  const dismiss = (toast) => {
    if (toast.dataset.leaving !== undefined) return
    toast.dataset.leaving = ''
    setTimeout(() => toast.remove(), 300) // the fade in app.css
  }
  // Handlers that would otherwise sit in attributes, which the Content-Security-Policy forbids.
  document.addEventListener('htmx:xhr:progress', (event) => {
    const bar = event.target.closest('[data-upload-progress]')?.querySelector('progress')
    if (bar) bar.value = event.detail.total ? event.detail.loaded / event.detail.total * 100 : 0
  })
  document.addEventListener('click', (event) => {
    if (event.target.closest('[data-reload]')) location.reload()
  })

  const toasts = document.getElementById('toasts')
  const timed = new WeakSet()
  if (toasts) {
    new MutationObserver(() => {
      const shown = [...toasts.querySelectorAll('.toast:not([data-leaving])')]
      shown.slice(0, -MAX_TOASTS).forEach(dismiss)
      for (const toast of shown) {
        if (timed.has(toast)) continue
        timed.add(toast)
        setTimeout(() => dismiss(toast), TOAST_SECONDS * 1000)
      }
    }).observe(toasts, { childList: true })
  }
})()
