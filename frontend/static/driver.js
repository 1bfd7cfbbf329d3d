// The driver's "Today's run" (delivery/today.html): photos resized on the phone before they are
// sent or kept, the signature pad, the position of each drop-off (with its accuracy), the phone's
// own time of each confirmation, positions sent about every 30 s while the run is started and
// the phone is online, and "waiting to send (n)" for what the outbox (outbox.js) still holds.
// The forms themselves are sent, or kept offline, by offline.js like any data-offline form.
(() => {
  'use strict'

  const run = document.getElementById('driver-run')
  if (!run) return
  const user = document.body.dataset.user || ''
  const started = run.dataset.status === 'started'
  const PHOTO_EDGE = 1280 // px: enough to see the door and the parcel, small enough to keep offline
  const POSITION_EVERY = 30000
  let fix = null // the last position the phone gave

  // Photos ----------------------------------------------------------------------------------------
  const resizing = new WeakMap() // input → the promise of its resized file

  async function shrink (file) {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' })
    const scale = Math.min(1, PHOTO_EDGE / Math.max(bitmap.width, bitmap.height))
    const canvas = Object.assign(document.createElement('canvas'), {
      width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale)
    })
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height)
    bitmap.close?.()
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.8))
    return blob ? new File([blob], 'photo.jpg', { type: 'image/jpeg', lastModified: Date.now() }) : file
  }

  document.querySelectorAll('[data-photo]').forEach((input) => {
    input.addEventListener('change', () => {
      const file = input.files?.[0]
      if (!file || input.dataset.resized === file.name + file.size) return
      const done = shrink(file).then((smaller) => {
        const transfer = new DataTransfer()
        transfer.items.add(smaller)
        input.files = transfer.files
        input.dataset.resized = smaller.name + smaller.size
      }).catch(() => {}) // not decodable here: the server says whether it is a picture
      resizing.set(input, done)
    })
  })

  // Signatures --------------------------------------------------------------------------------------
  function pad (box) {
    const canvas = box.querySelector('[data-signature-pad]')
    const value = box.querySelector('[data-signature-value]')
    const context = canvas.getContext('2d')
    context.lineWidth = 4
    context.lineCap = context.lineJoin = 'round'
    context.strokeStyle = '#111'
    let drawing = false
    const at = (event) => {
      const rect = canvas.getBoundingClientRect()
      return [(event.clientX - rect.left) * canvas.width / rect.width, (event.clientY - rect.top) * canvas.height / rect.height]
    }
    canvas.addEventListener('pointerdown', (event) => {
      drawing = true
      canvas.setPointerCapture(event.pointerId)
      context.beginPath()
      context.moveTo(...at(event))
      event.preventDefault()
    })
    canvas.addEventListener('pointermove', (event) => {
      if (!drawing) return
      context.lineTo(...at(event))
      context.stroke()
    })
    const end = () => {
      if (!drawing) return
      drawing = false
      value.value = canvas.toDataURL('image/png')
      box.querySelector('[data-signature-error]').hidden = true
    }
    canvas.addEventListener('pointerup', end)
    canvas.addEventListener('pointercancel', end)
    box.querySelector('[data-signature-clear]').addEventListener('click', () => {
      context.clearRect(0, 0, canvas.width, canvas.height)
      value.value = ''
    })
  }
  document.querySelectorAll('[data-signature]').forEach(pad)

  // Positions -------------------------------------------------------------------------------------------
  function showFix () {
    document.querySelectorAll('form.drop-off').forEach((form) => {
      const text = form.querySelector('[data-position-text]')
      if (fix) {
        form.querySelector('[data-latitude]').value = fix.latitude
        form.querySelector('[data-longitude]').value = fix.longitude
        form.querySelector('[data-accuracy]').value = Math.round(fix.accuracy)
        text.textContent = text.dataset.foundText.replace('{metres}', Math.round(fix.accuracy))
      }
    })
  }

  function noFix () {
    document.querySelectorAll('[data-position-text]').forEach((text) => { text.textContent = text.dataset.noneText })
  }

  if (started && navigator.geolocation) {
    navigator.geolocation.watchPosition((position) => {
      fix = { latitude: position.coords.latitude, longitude: position.coords.longitude, accuracy: position.coords.accuracy }
      showFix()
    }, noFix, { enableHighAccuracy: true, maximumAge: 15000, timeout: 30000 })
  }

  const csrfToken = () => {
    try { return JSON.parse(document.body.getAttribute('hx-headers'))['x-csrftoken'] } catch { return '' }
  }

  // Only while the run is started (this page says so), and only with a signal: a position is
  // worth nothing later, so none is kept offline.
  async function sendPosition () {
    if (!started || !fix || !navigator.onLine) return
    const body = JSON.stringify({
      latitude: fix.latitude, longitude: fix.longitude, accuracy_m: Math.round(fix.accuracy), at: new Date().toISOString()
    })
    try {
      await fetch(run.dataset.positionUrl, {
        method: 'POST', body, credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrftoken': csrfToken() }
      })
    } catch { /* no signal after all: the next one will do */ }
  }
  if (started) setInterval(sendPosition, POSITION_EVERY)

  // Confirmations -------------------------------------------------------------------------------------------
  // Registered on each form, so it runs before offline.js (on the document) reads the form.
  document.querySelectorAll('form.drop-off, form[data-offline]').forEach((form) => {
    form.addEventListener('submit', async (event) => {
      if (form.dataset.ready === 'true') { delete form.dataset.ready; return }
      const photo = form.querySelector('[data-photo]')
      const signature = form.querySelector('[data-signature-value]')
      if (signature && form.dataset.requireSignature === 'true' && !signature.value) {
        event.preventDefault()
        form.querySelector('[data-signature-error]').hidden = false
        return
      }
      form.querySelector('[data-device-time]').value = new Date().toISOString()
      if (photo && resizing.has(photo)) {
        event.preventDefault() // wait for the smaller photo, then submit again
        await resizing.get(photo)
        resizing.delete(photo)
        form.dataset.ready = 'true'
        // The same submission again, for offline.js to send or keep; a plain POST without it.
        const again = new SubmitEvent('submit', { bubbles: true, cancelable: true, submitter: event.submitter })
        if (form.dispatchEvent(again)) HTMLFormElement.prototype.submit.call(form)
      }
    })
  })

  // What the outbox still holds: counted, and its stops marked, until the server has them.
  async function waiting () {
    const Outbox = window.ComptoirOutbox
    if (!Outbox || !user) return
    let records = []
    try { records = await Outbox.list(user) } catch { return }
    const pending = records.filter((record) => record.state === 'pending')
    const box = run.querySelector('[data-waiting]')
    box.hidden = pending.length === 0
    box.querySelector('[data-waiting-count]').textContent = pending.length
    document.querySelectorAll('#driver-stops > li').forEach((stop) => {
      const queued = pending.some((record) => record.url === stop.dataset.confirmUrl || record.url === stop.dataset.failUrl)
      stop.querySelector('[data-queued]')?.toggleAttribute('hidden', !queued)
      stop.dataset.queued = queued ? 'true' : 'false'
      if (queued) stop.querySelectorAll('details').forEach((details) => { details.open = false })
    })
  }
  if ('BroadcastChannel' in window) new BroadcastChannel('comptoir-outbox').addEventListener('message', waiting)
  waiting()
})()
