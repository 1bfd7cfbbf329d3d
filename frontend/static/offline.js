// Forms marked data-offline keep working without a network (DESIGN §6). Each carries a fresh
// idempotency key; a submission that cannot reach the server goes into the outbox (outbox.js),
// shown as a count in the app bar, and is sent again, in order and with the same key, when the
// network returns, when a page loads and, where supported, through Background Sync.
// Without this script (or IndexedDB), the same forms are plain POSTs.
(() => {
  'use strict'

  const Outbox = window.ComptoirOutbox
  if (!Outbox || !window.indexedDB || !window.fetch) return

  const user = document.body.dataset.user || ''
  const here = () => location.pathname + location.search
  const outbox = () => document.getElementById('outbox')
  const text = (name) => outbox()?.dataset[name] || ''
  const csrfToken = () => {
    try { return JSON.parse(document.body.getAttribute('hx-headers'))['x-csrftoken'] } catch { return null }
  }
  let editing = false // the owner has typed since the last submission: do not navigate under them
  let reviewing = null // the outbox record whose server answer is on screen, until the owner chooses

  // Keys ---------------------------------------------------------------------------------------
  // A key names one intended change. It is given when the page shows the form and renewed once a
  // submission has an answer or is queued, so the next change is never mistaken for the last.
  const newKey = () => crypto.randomUUID
    ? crypto.randomUUID()
    : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('')
  function renewKey (form) {
    let input = form.elements._idempotency_key
    if (!input) {
      input = Object.assign(document.createElement('input'), { type: 'hidden', name: '_idempotency_key' })
      form.append(input)
    }
    input.value = newKey()
  }
  // Only empty fields: content that htmx processes again keeps the key it already has.
  const giveKeys = (root) => {
    const forms = root.matches?.('form[data-offline]') ? [root] : root.querySelectorAll('form[data-offline]')
    forms.forEach((form) => form.elements._idempotency_key?.value || renewKey(form))
  }

  // The outbox in the app bar --------------------------------------------------------------------
  function toast (message) {
    const toasts = document.getElementById('toasts')
    if (!toasts || !message) return
    const item = Object.assign(document.createElement('p'), { className: 'toast', textContent: message })
    toasts.append(item) // app.js times it out
  }

  // The server's own words for a refusal: the form's message, else its error page's detail.
  function reason (html) {
    const doc = new DOMParser().parseFromString(html || '', 'text/html')
    const found = doc.querySelector('#main [role=alert], #main .field__error, #main [data-status] p:not(.error-code)')
    return found ? found.textContent.trim() : ''
  }

  function button (label, action) {
    const element = Object.assign(document.createElement('button'), {
      type: 'button', className: 'button button--small', textContent: label
    })
    element.addEventListener('click', action)
    return element
  }

  function itemView (record) {
    const item = Object.assign(document.createElement('li'), { className: 'outbox__item' })
    item.dataset.state = record.state
    const time = new Date(record.createdAt).toLocaleTimeString(document.documentElement.lang, {
      hour: '2-digit', minute: '2-digit'
    })
    const status = record.state === 'error'
      ? [text('textError'), reason(record.html)]
      : [text(record.state === 'conflict' ? 'textConflict' : 'textPending')]
    item.append(
      Object.assign(document.createElement('strong'), { textContent: record.label }),
      Object.assign(document.createElement('span'), {
        className: 'muted', textContent: [time, ...status].filter(Boolean).join(' · ')
      })
    )
    if (record.state !== 'pending') {
      item.append(
        button(text('textReview'), () => review(record)),
        button(text('textDiscard'), () => Outbox.remove(record.id).then(draw))
      )
    }
    return item
  }

  async function draw () {
    const view = outbox()
    if (!view) return
    const records = await Outbox.list(user)
    const pending = records.filter((record) => record.state === 'pending').length
    view.dataset.pending = pending
    view.dataset.attention = records.length - pending
    view.querySelector('[data-outbox-pending]').textContent = pending
    view.querySelector('[data-outbox-attention]').textContent = records.length - pending
    view.querySelector('[data-outbox-items]').replaceChildren(...records.map(itemView))
    view.hidden = records.length === 0
  }

  // Server answers on this page --------------------------------------------------------------------
  // A form page answered with itself (errors, a conflict): its main part replaces ours, as the
  // browser would have shown it after a plain POST, minus the reload.
  function render (html) {
    const doc = new DOMParser().parseFromString(html, 'text/html')
    const incoming = doc.getElementById('main')
    const main = document.getElementById('main')
    if (!incoming || !main) return false
    document.title = doc.title
    const heading = doc.querySelector('.app-bar__title')
    if (heading) document.querySelector('.app-bar__title').textContent = heading.textContent
    main.replaceChildren(...incoming.childNodes)
    giveKeys(main)
    window.htmx?.process(main)
    scrollTo(0, 0)
    main.focus({ preventScroll: true }) // read from the top: the message, then the form
    return true
  }

  function review (record) {
    if (!render(record.html)) return
    reviewing = record.id
    outbox()?.removeAttribute('open')
  }

  // The owner has chosen (submitted the reviewed form, or followed one of its links): the record
  // is done. A submission that cannot reach the server is queued again as a change of its own.
  async function settleReview () {
    if (reviewing === null) return
    const id = reviewing
    reviewing = null
    await Outbox.remove(id)
  }

  // Asks the worker for a fresh copy of a page it keeps for offline reading, once its form has
  // been saved: otherwise opening it offline later would offer a version that is already stale.
  const refreshCopy = (page) => navigator.serviceWorker?.controller?.postMessage({ refresh: page })

  // Replays ------------------------------------------------------------------------------------------
  // Results of this page's replays, and of the worker's or another tab's (heard on the channel).
  function show (results) {
    let landing = null
    for (const { record, outcome, url } of results) {
      if (outcome === 'sent') {
        toast(`${record.label} · ${text('textSent')}`)
        if (record.page === here()) landing = url
      } else if (record.page === here() && reviewing === null) {
        review(record) // made on this very page: show the server's answer right away
      } else {
        toast(`${record.label} · ${text(outcome === 'conflict' ? 'textConflict' : 'textError')}`)
      }
    }
    // What a plain POST would have led to, unless the owner is typing or choosing.
    if (landing && reviewing === null && !editing) location.assign(landing)
  }

  async function replay () {
    if (!user) return
    const { results, stopped } = await Outbox.replay(user, csrfToken())
    if (stopped) requestSync() // the worker may get the network back before a page does
    for (const { record, outcome } of results) if (outcome === 'sent') refreshCopy(record.page)
    await draw()
    show(results)
  }

  function requestSync () {
    return navigator.serviceWorker?.ready
      .then((registration) => registration.sync?.register(Outbox.SYNC_TAG))
      .catch(() => {}) // not supported or not allowed: the page replays on its own
  }

  async function queue (request, form) {
    await Outbox.add({ ...request, user })
    requestSync() // first: the owner may close the app right after
    renewKey(form)
    editing = false
    toast(text('textPending'))
    await draw()
  }

  // Submissions -----------------------------------------------------------------------------------
  const busy = new WeakSet()

  document.addEventListener('submit', async (event) => {
    const form = event.target
    if (!user || !form.matches('form[data-offline]') || event.defaultPrevented) return
    // GET forms change nothing: those stay plain submissions.
    if (form.method !== 'post') return
    event.preventDefault()
    if (busy.has(form)) return // a second tap while the first is on its way
    busy.add(form)
    const data = new FormData(form)
    if (event.submitter?.name) data.append(event.submitter.name, event.submitter.value)
    const action = new URL(form.action, location.href)
    const request = {
      url: action.pathname + action.search,
      method: 'POST',
      label: form.dataset.offlineLabel || document.title,
      page: here()
    }
    // A form with files keeps its parts, files included (outbox.js sends them as multipart).
    if (form.enctype === 'multipart/form-data') {
      request.parts = [...data.entries()]
        .filter(([, value]) => !(value instanceof File) || value.size > 0) // no file chosen: no part
        .map(([name, value]) => value instanceof File ? [name, value, value.name] : [name, value])
    } else {
      request.body = new URLSearchParams(data).toString()
    }
    try {
      let waiting
      try {
        await settleReview()
        waiting = (await Outbox.list(user)).some((record) => record.state === 'pending')
      } catch (error) {
        // No outbox on this browser after all (storage refused): a plain POST, as without scripts.
        HTMLFormElement.prototype.submit.call(form)
        return
      }
      // Behind older queued changes, or without a network: queue, so the order is kept.
      if (waiting || !navigator.onLine) {
        await queue(request, form)
        if (navigator.onLine) await replay()
        return
      }
      let response
      try {
        response = await Outbox.send(request, csrfToken())
      } catch (error) {
        await queue(request, form) // the network failed: whether it arrived or not, the key tells
        return
      }
      if (response.status === 401) await queue(request, form) // sent again once signed in
      else renewKey(form)
      editing = false
      if (response.ok && response.redirected) {
        refreshCopy(request.page)
        location.assign(response.url)
      } else if (!render(await response.text())) {
        location.assign(response.url)
      }
    } finally {
      busy.delete(form)
    }
  })

  document.addEventListener('input', (event) => {
    if (event.target.closest?.('form[data-offline]')) editing = true
  })

  // Leaving a reviewed answer through one of its own links (e.g. "Keep what is saved") is a choice.
  document.addEventListener('click', async (event) => {
    const link = reviewing !== null && event.target.closest?.('#main a[href]')
    if (!link || event.defaultPrevented) return
    event.preventDefault()
    await settleReview()
    location.assign(link.href)
  })

  // Start ---------------------------------------------------------------------------------------------
  giveKeys(document)
  document.addEventListener('htmx:load', (event) => giveKeys(event.target))
  window.addEventListener('pageshow', (event) => {
    // Back from another page, this one may show a key that has been used: give a fresh one.
    if (event.persisted) document.querySelectorAll('form[data-offline]').forEach(renewKey)
  })
  window.addEventListener('online', replay)
  Outbox.channel?.addEventListener('message', (event) => {
    draw()
    if (event.data.result?.record.user === user) show([event.data.result])
  })
  Outbox.setUser(user).catch(() => {})
  draw().then(() => navigator.onLine ? replay() : requestSync())
})()
