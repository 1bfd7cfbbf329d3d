// What the page audit measures in a page as laid out: one function, evaluated by the test through
// the browser's debugging protocol (the page's Content-Security-Policy allows no evaluated code of
// its own). It returns faults as [check, what] pairs.
({ minTarget, minChars }) => {
  const faults = []
  const fault = (check, what) => faults.push([check, what])
  const flat = (text) => (text || '').replace(/\s+/g, ' ').trim()
  const clip = (text) => (flat(text).length > 40 ? `${flat(text).slice(0, 39)}…` : flat(text))
  const name = (el) => {
    const id = el.id ? `#${el.id}` : ''
    const cls = !id && el.classList.length ? `.${[...el.classList].join('.')}` : ''
    const text = clip(el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || '')
    return `<${el.tagName.toLowerCase()}${id}${cls}>${text ? ` "${text}"` : ''}`
  }
  const shown = (el) => {
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false
    const box = el.getBoundingClientRect()
    // Out of the document (a skip link until it is focused) or a screen-reader-only 1px box.
    if (box.bottom + scrollY <= 0 || box.right + scrollX <= 0) return false
    return box.width > 1 && box.height > 1
  }

  // 1. Nothing wider than the screen.
  const root = document.documentElement
  if (root.scrollWidth > root.clientWidth) {
    const wide = [...document.body.querySelectorAll('*')].filter(
      (el) => shown(el) && el.getBoundingClientRect().right > root.clientWidth + 0.5 &&
        ![...el.children].some((child) => child.getBoundingClientRect().right > root.clientWidth + 0.5)
    )
    fault('overflow', `${root.scrollWidth}px wide on a ${root.clientWidth}px screen: ${wide.slice(0, 3).map(name).join(', ')}`)
  }

  // 2. No text squeezed into a column a few characters wide.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  const squeezed = new Set()
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const chars = node.textContent.trim().length
    const parent = node.parentElement
    // The text's own boxes, not its element's: squeezed enough, the element is 0px wide.
    if (chars < minChars || !parent || squeezed.has(parent) || !parent.checkVisibility({ visibilityProperty: true })) continue
    const range = document.createRange()
    range.selectNodeContents(node)
    const rects = [...range.getClientRects()].filter((r) => r.width > 0)
    const lines = new Set(rects.map((r) => Math.round(r.top))).size
    const charWidth = parseFloat(getComputedStyle(parent).fontSize) / 2
    const widest = Math.max(0, ...rects.map((r) => r.width))
    if (lines > 1 && (lines > chars / 3 || widest < minChars * charWidth)) {
      squeezed.add(parent)
      fault('squeezed text', `${name(parent)}: ${chars} characters on ${lines} lines, ${Math.round(widest)}px wide`)
    }
  }

  // 3. Targets of at least minTarget px, or that much room around them (WCAG 2.5.8, at 44 px).
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]'
  const targets = [...document.querySelectorAll(selector)].filter(shown).map((el) => {
    let box = el.getBoundingClientRect()
    // A checkbox or radio is also hit through its label.
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      for (const label of el.labels || []) {
        if (!shown(label)) continue
        const l = label.getBoundingClientRect()
        const left = Math.min(box.left, l.left)
        const top = Math.min(box.top, l.top)
        box = new DOMRect(left, top, Math.max(box.right, l.right) - left, Math.max(box.bottom, l.bottom) - top)
      }
    }
    const small = box.width < minTarget - 0.5 || box.height < minTarget - 0.5
    return { el, box, small, x: box.left + box.width / 2, y: box.top + box.height / 2 }
  })
  const radius = minTarget / 2
  const circleMeetsBox = (t, box) => {
    const dx = t.x - Math.max(box.left, Math.min(t.x, box.right))
    const dy = t.y - Math.max(box.top, Math.min(t.y, box.bottom))
    return dx * dx + dy * dy < radius * radius
  }
  for (const t of targets.filter((t) => t.small)) {
    const near = targets.find((o) => o !== t && !o.el.contains(t.el) && !t.el.contains(o.el) &&
      (circleMeetsBox(t, o.box) || (o.small && Math.hypot(o.x - t.x, o.y - t.y) < minTarget)))
    if (near) {
      fault('target size', `${name(t.el)} is ${Math.round(t.box.width)}×${Math.round(t.box.height)}px, ` +
        `with ${name(near.el)} within ${radius}px of its centre`)
    }
  }

  // 4. Every field has a name: a label, aria-label(ledby) or title (a placeholder goes away).
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (el.matches('[type=submit], [type=button], [type=reset]') && el.value) continue
    const labelled = [...(el.labels || [])].some((label) => label.textContent.trim()) ||
      (el.getAttribute('aria-label') || '').trim() || (el.getAttribute('title') || '').trim() ||
      (el.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => document.getElementById(id)?.textContent.trim())
    if (!labelled) fault('field name', `${name(el)} has no label`)
  }

  // 5. The title and the main heading say the same place.
  const heading = flat(document.querySelector('h1')?.textContent).toLowerCase()
  const title = flat(document.title).toLowerCase()
  if (!heading || !title || !(title.includes(heading) || heading.includes(title))) {
    fault('title', `title "${document.title}" and heading "${heading}" do not say the same place`)
  }

  // 6. Attributes as written: a quote in a name or opening a value is markup escaped as text.
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/["'&;]/.test(attr.name) || /^["']/.test(attr.value)) {
        fault('markup', `${name(el)} has a broken attribute: ${attr.name}=${JSON.stringify(attr.value)}`)
        break
      }
    }
  }
  return faults
}
