// The picker's list and the pickup counter. A scan is checked against the list before it leaves:
// a product no order of the batch asks for is refused on the spot, with a sound and a message
// (the server refuses it too). The camera reads barcodes where the browser can (BarcodeDetector);
// a typed code or a hardware scanner (which types and presses Enter) always works. Forms are
// queued by offline.js when there is no network: what is queued is counted on the rows here, also
// after a reload, so the picker sees where they are.
(() => {
  'use strict'

  const scanBox = document.querySelector('[data-batch]')
  const rows = () => [...document.querySelectorAll('[data-pick-row]')]
  const text = (name) => scanBox?.dataset[name] || ''

  function say (message) {
    const place = document.querySelector('[data-scan-message]')
    if (place) place.textContent = message
  }

  // A short low buzz (and a vibration where there is one): "not this one", heard across the room.
  function buzz () {
    navigator.vibrate?.(300)
    try {
      const sound = new AudioContext()
      const tone = sound.createOscillator()
      const volume = sound.createGain()
      tone.type = 'square'
      tone.frequency.value = 196
      volume.gain.value = 0.15
      tone.connect(volume).connect(sound.destination)
      tone.start()
      tone.stop(sound.currentTime + 0.4)
      tone.onended = () => sound.close()
    } catch (error) {
      // No sound on this browser: the message says it.
    }
  }

  const matches = (row, code) =>
    row.dataset.sku === code.trim().toUpperCase() || (row.dataset.barcode !== '' && row.dataset.barcode === code.trim())
  const left = (row) => Number(row.dataset.quantity) - Number(row.dataset.picked)

  // The row a scan goes to, as the server chooses it: the first in shelf order still waiting.
  function target (code, orderId) {
    const found = rows().filter((row) => matches(row, code) && (!orderId || row.dataset.order === orderId))
    const open = found.filter((row) => row.dataset.open === 'true')
    return { row: open.find((row) => left(row) > 0), known: found.length > 0 }
  }

  function count (row, quantity) {
    if (!row) return
    row.dataset.picked = Number(row.dataset.picked) + quantity
    row.querySelector('[data-picked-count]').textContent = row.dataset.picked
    if (left(row) <= 0) {
      row.classList.add('pick-row--done')
      row.querySelector('.pick-row__actions')?.setAttribute('hidden', '')
    }
    showPackable()
  }

  // An order's "pick every line first" hint goes once its rows are all picked.
  function showPackable () {
    document.querySelectorAll('[data-pick-order]').forEach((section) => {
      const mine = rows().filter((row) => row.dataset.order === section.dataset.pickOrder)
      const waiting = section.querySelector('[data-pack-waiting]')
      if (waiting) waiting.hidden = mine.every((row) => left(row) <= 0)
    })
  }

  const quantityOf = (form) => Math.max(1, Number(form.elements.quantity?.value) || 1)
  const orderOfUrl = (url) => (url.match(/^\/fulfilment\/orders\/(\d+)\/picked$/) || [])[1]

  function onScan (event, form) {
    const code = form.elements.code.value
    const { row, known } = target(code)
    if (!row) {
      event.preventDefault()
      event.stopImmediatePropagation()
      buzz()
      say(known ? text('textDone') : text('textWrong'))
      form.elements.code.select()
      return
    }
    if (quantityOf(form) > left(row)) {
      event.preventDefault()
      event.stopImmediatePropagation()
      buzz()
      say(text('textTooMany'))
      return
    }
    say('')
    if (!navigator.onLine) {
      count(row, quantityOf(form))
      say(text('textQueued'))
      setTimeout(() => { form.elements.code.value = ''; form.elements.code.focus() })
    }
  }

  function onTap (form) {
    if (navigator.onLine) return
    const url = new URL(form.action, location.href).pathname
    count(target(form.elements.sku.value, orderOfUrl(url)).row, quantityOf(form))
    say(text('textQueued'))
  }

  document.addEventListener('submit', (event) => {
    const form = event.target
    if (form.id === 'scan-form') onScan(event, form)
    else if (form.matches('.pick-row__tap')) onTap(form)
  }, true) // before offline.js queues or sends it

  // What this person queued on this page and is not sent yet, counted on the rows.
  async function countQueued () {
    const Outbox = window.ComptoirOutbox
    const user = document.body.dataset.user
    if (!Outbox || !user || !scanBox) return
    let records = []
    try {
      records = await Outbox.list(user)
    } catch (error) {
      return
    }
    for (const record of records) {
      if (record.state !== 'pending' || record.page !== location.pathname + location.search) continue
      const body = new URLSearchParams(record.body)
      const quantity = Math.max(1, Number(body.get('quantity')) || 1)
      if (record.url.endsWith('/scan')) count(target(body.get('code') || '').row, quantity)
      else if (orderOfUrl(record.url)) count(target(body.get('sku') || '', orderOfUrl(record.url)).row, quantity)
    }
  }

  // The camera, where the browser reads barcodes: what it reads is typed into the form and sent.
  // The same button opens and closes it (saying which); it is off again once it has read a code.
  const withCamera = new WeakSet()
  async function camera (form) {
    const button = form.querySelector('[data-camera]')
    const view = form.querySelector('[data-camera-view]')
    if (!button || !view || withCamera.has(form)) return
    withCamera.add(form)
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices) return
    // A browser may have the detector and no format it can read: no button there.
    const formats = await window.BarcodeDetector.getSupportedFormats?.().catch(() => [])
    if (!formats?.length) return
    const labels = { open: button.textContent, close: button.dataset.textClose || button.textContent }
    button.hidden = false
    let stream = null
    let opening = false
    const stop = () => {
      stream?.getTracks().forEach((track) => track.stop())
      stream = null
      view.srcObject = null
      view.hidden = true
      button.textContent = labels.open
    }
    button.addEventListener('click', async () => {
      if (opening) return // a second tap while the camera is being opened: one camera, not two
      if (stream) return stop()
      opening = true
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } })
        view.srcObject = stream
        view.hidden = false
        await view.play()
      } catch (error) {
        stop() // refused, or opened and not playing: never left on unseen
        say(text('textCameraOff'))
        return
      } finally {
        opening = false
      }
      button.textContent = labels.close
      const mine = stream
      const detector = new window.BarcodeDetector({ formats })
      const look = async () => {
        if (stream !== mine) return // closed (or closed and opened again: that one looks for itself)
        if (!view.isConnected) return stop() // the page's content was replaced under it
        const found = await detector.detect(view).catch(() => [])
        if (stream !== mine) return // closed while it looked: what it saw is not sent
        if (found.length) {
          form.elements.code.value = found[0].rawValue
          stop()
          form.requestSubmit()
        } else {
          setTimeout(look, 250)
        }
      }
      look()
    })
  }

  document.querySelectorAll('form').forEach(camera)
  // A server's answer shown in place (offline.js) replaces the page's content, its scan form too.
  const main = document.getElementById('main')
  if (main) new MutationObserver(() => main.querySelectorAll('form').forEach(camera)).observe(main, { childList: true })
  if (scanBox) {
    if (document.querySelector('[data-wrong-scan] [data-refusal]')) buzz()
    countQueued().then(showPackable)
    document.getElementById('f-code')?.focus()
  }
})()
