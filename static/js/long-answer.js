// Long narrative answers (textarea[data-markdown]): the box grows with its text up to the
// height of the window (then scrolls inside, CSS .app-long-answer), and a word count under it
// follows the typing, in the manner of the GOV.UK character count: a visible count, and a
// visually hidden copy in an aria-live region updated once typing pauses so that screen
// readers are not interrupted at every key. Without JavaScript the textarea simply keeps its rows.
(function () {
  'use strict'

  var ANNOUNCE_AFTER_MS = 1000
  // A word has a letter or a digit: Markdown's "-", "#" and "|" are not words.
  var WORD = /[A-Za-z0-9\u00C0-\u024F]/

  function countWords (text) {
    return text.split(/\s+/).filter(function (token) { return WORD.test(token) }).length
  }

  function describe (count) {
    return count === 1 ? '1 word' : count.toLocaleString('en-GB') + ' words'
  }

  function grow (textarea) {
    // Measure the text's own height: shrink first so deleted text gives the space back.
    var scrollTop = window.scrollY
    var style = window.getComputedStyle(textarea)
    var borders = parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth)
    var minimum = textarea.getAttribute('data-min-height')
    textarea.style.height = 'auto'
    var needed = textarea.scrollHeight + borders
    textarea.style.height = Math.max(needed, parseFloat(minimum)) + 'px'
    // Shrinking and regrowing can move the page on a long answer: keep the reader where they were.
    window.scrollTo(window.scrollX, scrollTop)
  }

  function setUp (textarea, index) {
    var id = (textarea.id || 'long-answer-' + index) + '-word-count'
    textarea.classList.add('app-long-answer')
    textarea.setAttribute('data-min-height', String(textarea.offsetHeight))

    var visible = document.createElement('div')
    visible.className = 'govuk-hint govuk-character-count__status app-word-count'
    visible.setAttribute('aria-hidden', 'true')
    visible.setAttribute('data-word-count', '')
    var spoken = document.createElement('div')
    spoken.id = id
    spoken.className = 'govuk-visually-hidden'
    spoken.setAttribute('aria-live', 'polite')
    textarea.insertAdjacentElement('afterend', visible)
    visible.insertAdjacentElement('afterend', spoken)

    var timer = null
    function update () {
      var message = describe(countWords(textarea.value))
      visible.textContent = message
      window.clearTimeout(timer)
      timer = window.setTimeout(function () { spoken.textContent = message }, ANNOUNCE_AFTER_MS)
      grow(textarea)
    }
    textarea.addEventListener('input', update)
    window.addEventListener('resize', function () { grow(textarea) })
    visible.textContent = describe(countWords(textarea.value))
    grow(textarea)
  }

  Array.prototype.forEach.call(document.querySelectorAll('textarea[data-markdown]'), setUp)
})()
