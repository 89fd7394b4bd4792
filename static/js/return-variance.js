// Shows each return line's variance from plan as the actual is typed, and flags lines beyond the
// round's threshold (the server computes the same on save; this only saves a round trip).
(function () {
  'use strict'

  var table = document.querySelector('[data-variance-threshold]')
  if (!table) return
  var threshold = parseFloat(table.getAttribute('data-variance-threshold'))

  // The money parser's rules, loosely: "£1,234.50", "1 234.5" and "1234" are all pounds.
  function pounds (text) {
    var cleaned = String(text || '').replace(/£/g, '').replace(/[,\s]/g, '')
    if (!cleaned || !/^\d+(\.\d+)?$/.test(cleaned)) return null
    return parseFloat(cleaned)
  }

  function update (row) {
    var planned = parseFloat(row.getAttribute('data-planned'))
    var input = row.querySelector('input[name$="-actual"]')
    var cell = row.querySelector('[data-variance]')
    if (!input || !cell) return
    var actual = pounds(input.value)
    var text = ''
    var beyond = false
    if (actual !== null) {
      if (planned === 0) {
        beyond = actual !== 0
        text = actual === 0 ? '0.0%' : 'Nothing planned'
      } else {
        var variance = (actual - planned) / planned * 100
        beyond = Math.abs(variance) > threshold
        text = variance.toFixed(1) + '%'
      }
    }
    cell.textContent = text
    if (beyond) {
      var flag = document.createElement('strong')
      flag.className = 'govuk-tag govuk-tag--red'
      flag.setAttribute('data-variance-flag', '')
      flag.textContent = 'Explain'
      cell.appendChild(document.createTextNode(' '))
      cell.appendChild(flag)
    }
    row.classList.toggle('app-variance--beyond', beyond)
  }

  Array.prototype.forEach.call(table.querySelectorAll('[data-line]'), function (row) {
    var input = row.querySelector('input[name$="-actual"]')
    if (input) input.addEventListener('input', function () { update(row) })
  })
})()
