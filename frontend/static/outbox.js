// The offline outbox: form submissions kept in IndexedDB until the server has answered them.
// Shared by the pages (offline.js draws it) and the service worker (Background Sync replays it),
// so it touches neither the DOM nor anything only one of them has.
//
// A record: { id, user, url, method, body | parts, label, page, createdAt, state, status, html }.
// parts: [name, value, filename?] of a form with files (values that are files are Blobs).
// state: 'pending'  — not answered yet: sent on the next replay;
//        'conflict' — the server answered 409 (changed meanwhile): html holds its page, the owner chooses;
//        'error'    — refused (422: key reused with another body, other 4xx): html holds the reason.
// Sent records are deleted: the server has them now.
(function (scope) {
  'use strict'

  const DB_NAME = 'comptoir-outbox'
  const REQUESTS = 'requests'
  const META = 'meta'
  const channel = 'BroadcastChannel' in scope ? new BroadcastChannel('comptoir-outbox') : null

  function openDb () {
    return new Promise((resolve, reject) => {
      const opening = indexedDB.open(DB_NAME, 1)
      opening.onupgradeneeded = () => {
        // Auto-increment ids are the submission order, which replays must keep.
        opening.result.createObjectStore(REQUESTS, { keyPath: 'id', autoIncrement: true })
        opening.result.createObjectStore(META)
      }
      opening.onsuccess = () => resolve(opening.result)
      opening.onerror = () => reject(opening.error)
    })
  }

  // One short transaction per call: nothing stays open while a request is on the network.
  async function transact (storeName, mode, work) {
    const db = await openDb()
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(storeName, mode)
        const request = work(tx.objectStore(storeName))
        tx.oncomplete = () => resolve(request && request.result)
        tx.onerror = tx.onabort = () => reject(tx.error)
      })
    } finally {
      db.close()
    }
  }

  // Every tab redraws when one of them, or the worker, changes the outbox; a replay's results are
  // told too, so the tab where a change was made shows its answer whoever sent it.
  const changed = (result) => channel && channel.postMessage({ result })

  async function add (record) {
    const id = await transact(REQUESTS, 'readwrite', (store) =>
      store.add({ ...record, state: 'pending', createdAt: Date.now() }))
    changed()
    return id
  }

  async function list (user) {
    const all = await transact(REQUESTS, 'readonly', (store) => store.getAll())
    return all.filter((record) => record.user === user)
  }

  async function remove (id) {
    await transact(REQUESTS, 'readwrite', (store) => store.delete(id))
    changed()
  }

  async function update (record) {
    await transact(REQUESTS, 'readwrite', (store) => store.put(record))
    changed()
  }

  // Who is signed in on this device, as the last page saw it. The worker has no session of its
  // own: it replays only what that person queued, never someone else's changes under their name.
  const setUser = (user) => transact(META, 'readwrite', (store) => store.put(user, 'user'))
  const currentUser = () => transact(META, 'readonly', (store) => store.get('user'))

  // The stored body carries the CSRF field of the page it came from; a page replaying passes its
  // own, fresher token as the header, which the server reads first. Neither is part of the
  // idempotency fingerprint, so this does not change what the key stands for.
  // A form with files (a drop-off's photo) is kept as its parts, the files as Blobs, which
  // IndexedDB stores as they are; it is sent again as multipart, as the browser would have.
  function send (record, csrfToken) {
    const headers = record.parts ? {} : { 'content-type': 'application/x-www-form-urlencoded' }
    if (csrfToken) headers['x-csrftoken'] = csrfToken
    return fetch(record.url, {
      method: record.method, body: record.parts ? formData(record.parts) : record.body, headers, credentials: 'same-origin', redirect: 'follow'
    })
  }

  function formData (parts) {
    const data = new FormData()
    for (const [name, value, filename] of parts) {
      if (value instanceof Blob) data.append(name, value, filename || 'file')
      else data.append(name, value)
    }
    return data
  }

  // Answers that mean "not now" rather than "no": the record stays pending and the replay stops,
  // so nothing queued after it overtakes it.
  const notNow = (response) =>
    response.status === 401 || // signed out: sent once the same person signs in again
    response.status >= 500 // a change is kept with its key's answer, or not at all: retrying is safe

  // Sends the pending records of `user` in order, one at a time, each with the key it was queued
  // with: a record whose answer was lost comes back as the stored answer, not as a second change.
  // Returns [{ record, outcome: 'sent' | 'conflict' | 'error', url, replayed }] and whether it had to
  // stop with records left (offline, signed out, server down).
  async function replay (user, csrfToken) {
    const run = async () => {
      const results = []
      for (const record of await list(user)) {
        if (record.state !== 'pending') continue
        let response
        try {
          response = await send(record, csrfToken)
        } catch (error) {
          return { results, stopped: true } // still offline
        }
        if (notNow(response)) return { results, stopped: true }
        const replayed = response.headers.get('idempotent-replayed') === 'true'
        let result
        if (response.ok) {
          await remove(record.id)
          result = { record, outcome: 'sent', url: response.url, replayed }
        } else {
          // Never applied blindly: the server's page (both values, or the reason) is kept to show.
          const state = response.status === 409 ? 'conflict' : 'error'
          const kept = { ...record, state, status: response.status, html: await response.text() }
          await update(kept)
          result = { record: kept, outcome: state, url: response.url, replayed }
        }
        results.push(result)
        changed(result)
      }
      return { results, stopped: false }
    }
    // Tabs and the worker may all try at once (`online` reaches every one of them): the lock
    // makes them take turns, and each reads the queue afresh inside it.
    return scope.navigator.locks ? scope.navigator.locks.request('comptoir-outbox', run) : run()
  }

  scope.ComptoirOutbox = {
    SYNC_TAG: 'comptoir-outbox',
    channel,
    add,
    list,
    remove,
    update,
    setUser,
    currentUser,
    send,
    replay
  }
})(self)
