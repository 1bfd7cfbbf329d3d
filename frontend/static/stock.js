// Stock forms' product field. A barcode scanner types the code and presses Enter: Enter looks the
// product up instead of sending the form, and once the code names one product the cursor moves on
// to the quantity. Tapping a result chooses it in place. Without this script (or htmx) the same
// buttons post the form back with the product chosen.
(() => {
  'use strict'

  let advance = false
  const pickerOf = (element) => element?.closest?.('[data-product-picker]')

  document.addEventListener('keydown', (event) => {
    const picker = pickerOf(event.target)
    if (!picker || event.key !== 'Enter' || event.target.id !== 'f-product' || !window.htmx) return
    event.preventDefault()
    advance = true
    htmx.trigger(event.target, 'lookup')
  })

  document.addEventListener('click', (event) => {
    const choice = event.target.closest('[data-pick]')
    const picker = pickerOf(choice)
    if (!picker || !window.htmx) return
    event.preventDefault()
    const input = picker.querySelector('#f-product')
    input.value = choice.value
    advance = true
    htmx.trigger(input, 'lookup')
  })

  document.addEventListener('htmx:afterSwap', (event) => {
    const picker = pickerOf(event.detail.target)
    if (!picker || !advance) return
    advance = false
    if (picker.querySelector('[data-exact]')) document.getElementById(picker.dataset.next)?.focus()
  })
})()
