// The delivery map (the Deliveries tab, a run's page, setting a pin): Leaflet with OpenStreetMap
// tiles, only where the phone is online. Leaflet comes from the CDN pinned with SRI; if that fails,
// from this server's copy (same bytes, same SRI). Without a network, or if neither loads, the map
// stays hidden and the list beside it says the same. Markers are circles: no icon images to load.
(() => {
  'use strict'

  let loading = null

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

  function draw (box, L) {
    let markers = []
    try { markers = JSON.parse(box.dataset.markers || '[]') } catch { markers = [] }
    box.hidden = false
    const map = L.map(box, { scrollWheelZoom: false })
    map.attributionControl.setPrefix(false) // the tiles' credit only: no tiny link beside the navigation
    L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: box.dataset.attribution }).addTo(map)
    const points = markers.map((marker) => {
      const colour = marker.driver ? '#b3261e' : (marker.done ? '#6b7280' : '#1f5f4a')
      L.circleMarker([marker.lat, marker.lon], { radius: marker.driver ? 9 : 7, color: colour, weight: 2 })
        .bindTooltip(String(marker.label), { permanent: !marker.driver, direction: 'top' })
        .addTo(map)
      return [marker.lat, marker.lon]
    })
    if (points.length) map.fitBounds(points, { padding: [24, 24], maxZoom: 16 })
    else map.setView([46.6, 2.4], 5)
    if ('pick' in box.dataset) pick(box, map, L)
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
  document.addEventListener('htmx:load', (event) => start(event.target))
})()
