// The delivery map (the Deliveries tab, a run's page, setting a pin): Leaflet with OpenStreetMap
// tiles, only where the phone is online. Leaflet comes from the CDN pinned with SRI; if that fails,
// from this server's copy (same bytes, same SRI). Without a network, or if neither loads, the map
// stays hidden and the list beside it says the same. Markers are circles: no icon images to load.
// A map with an id is kept across the redraws of the part around it (a run's progress, a tracking
// page's way): the new copy's markers move on the map already drawn, with its view and tiles.
(() => {
  'use strict'

  let loading = null
  const kept = new Map() // map id → { box, map, layer }: the maps kept across redraws

  function load (tag, attrs) {
    return new Promise((resolve, reject) => {
      const element = Object.assign(document.createElement(tag), attrs)
      element.crossOrigin = 'anonymous'
      element.onload = resolve
      element.onerror = () => { element.remove(); reject(new Error(attrs.src || attrs.href)) }
      document.head.append(element)
    })
  }

  function leaflet (box) {
    if (window.L) return Promise.resolve(window.L)
    if (loading) return loading
    const { js, jsSri, jsLocal, css, cssSri, cssLocal } = box.dataset
    const style = (href) => load('link', { rel: 'stylesheet', href, integrity: cssSri })
    const script = (src) => load('script', { src, integrity: jsSri })
    loading = Promise.all([
      style(css).catch(() => css === cssLocal ? Promise.reject(new Error('css')) : style(cssLocal)),
      script(js).catch(() => js === jsLocal ? Promise.reject(new Error('js')) : script(jsLocal))
    ]).then(() => window.L)
    loading.catch(() => { loading = null })
    return loading
  }

  // A map kept across the redraws of the part around it (``hx-preserve``) takes its markers from
  // the copy the latest redraw brought (``data-markers-of``), which htmx does not keep.
  function markersData (box) {
    const fresh = box.id && document.querySelector(`[data-markers-of="${CSS.escape(box.id)}"]`)
    return (fresh || box).dataset.markers || '[]'
  }

  // The markers on the map's layer; the points they stand at. ``data-shown`` says what is drawn.
  function place (box, layer, L) {
    const data = markersData(box)
    let markers = []
    try { markers = JSON.parse(data) } catch { markers = [] }
    layer.clearLayers()
    const points = markers.map((marker) => {
      const colour = marker.driver ? '#b3261e' : (marker.done ? '#6b7280' : '#1f5f4a')
      L.circleMarker([marker.lat, marker.lon], { radius: marker.driver ? 9 : 7, color: colour, weight: 2 })
        .bindTooltip(String(marker.label), { permanent: !marker.driver, direction: 'top' })
        .addTo(layer)
      return [marker.lat, marker.lon]
    })
    box.dataset.shown = data
    return points
  }

  function frame (map, points) {
    if (points.length) map.fitBounds(points, { padding: [24, 24], maxZoom: 16 })
    else map.setView([46.6, 2.4], 5)
  }

  function draw (box, L) {
    box.hidden = false
    const map = L.map(box, { scrollWheelZoom: false })
    map.attributionControl.setPrefix(false) // the tiles' credit only: no tiny link beside the navigation
    // The page's own address never goes with the tiles (a tracking link is its token); the site's
    // name does, as OpenStreetMap's tile policy asks.
    L.tileLayer(box.dataset.tiles, {
      maxZoom: 19, attribution: box.dataset.attribution, referrerPolicy: 'strict-origin'
    }).addTo(map)
    const layer = L.layerGroup().addTo(map)
    frame(map, place(box, layer, L))
    if ('pick' in box.dataset) pick(box, map, L)
    if (box.id) kept.set(box.id, { box, map, layer })
  }

  // After a redraw: kept maps move their markers; the view moves only if a marker left it, so a
  // map the reader zoomed stays as they left it.
  function refresh (L) {
    for (const [id, { box, map, layer }] of kept) {
      if (!box.isConnected) { kept.delete(id); continue }
      if (markersData(box) === box.dataset.shown) continue
      const points = place(box, layer, L)
      const view = map.getBounds()
      if (!points.every((point) => view.contains(point))) frame(map, points)
    }
  }

  // Setting a pin: a tap on the map fills the form's coordinates.
  function pick (box, map, L) {
    const form = document.getElementById('pin-form')
    const hint = document.querySelector('[data-map-hint]')
    if (!form) return
    if (hint) hint.hidden = false
    let chosen = null
    map.on('click', (event) => {
      const { lat, lng } = event.latlng
      form.elements.latitude.value = lat.toFixed(6)
      form.elements.longitude.value = lng.toFixed(6)
      chosen = chosen ? chosen.setLatLng(event.latlng) : L.circleMarker(event.latlng, { radius: 9, color: '#b3261e' }).addTo(map)
    })
  }

  function start (root) {
    if (!navigator.onLine) return
    const boxes = (root.matches?.('[data-map]') ? [root] : [...root.querySelectorAll('[data-map]')])
      .filter((box) => !box.dataset.drawn)
    for (const box of boxes) {
      box.dataset.drawn = 'true'
      leaflet(box).then((L) => draw(box, L)).catch(() => { box.hidden = true })
    }
  }

  start(document)
  document.addEventListener('htmx:load', (event) => {
    if (window.L) refresh(window.L)
    start(event.target)
  })
})()
