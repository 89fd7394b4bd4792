// Most commissioners draft in Word. Pasting into a narrative answer turns the pasted HTML
// (from Word or a web page) into Markdown, so headings, lists and tables survive instead
// of arriving as flat text. The server sanitises whatever Markdown it is finally given.
(function () {
  'use strict'

  if (typeof window.TurndownService !== 'function') return

  // Word's list paragraphs carry their level and marker in styles, not in <ul>/<ol>.
  function wordListInfo (p) {
    var style = p.getAttribute('style') || ''
    var match = style.match(/mso-list:\s*l(\d+)\s+level(\d+)/i)
    if (!match && !/MsoListParagraph/i.test(p.className || '')) return null
    var markerEl = p.querySelector('[style*="mso-list:Ignore"], [style*="mso-list: Ignore"]')
    var marker = markerEl ? markerEl.textContent.replace(/\s+/g, '') : ''
    return {
      list: match ? match[1] : '0',
      level: match ? parseInt(match[2], 10) : 1,
      ordered: /^(\d+|[a-z]{1,3}|[ivxlc]+)[.)]$/i.test(marker),
      markerEl: markerEl
    }
  }

  // Rebuild Word's list paragraphs as nested <ul>/<ol> so turndown sees real lists.
  function rebuildWordLists (doc) {
    var paragraphs = Array.prototype.slice.call(doc.body.querySelectorAll('p'))
    var stack = [] // open lists: { el, level }
    var lastP = null
    paragraphs.forEach(function (p) {
      var info = wordListInfo(p)
      if (!info) { stack = []; lastP = p; return }
      var contiguous = lastP && stack.length && lastP.nextElementSibling === p
      if (!contiguous) stack = []
      if (info.markerEl) info.markerEl.remove()
      var li = doc.createElement('li')
      li.innerHTML = p.innerHTML
      while (stack.length && stack[stack.length - 1].level > info.level) stack.pop()
      if (!stack.length || stack[stack.length - 1].level < info.level) {
        var list = doc.createElement(info.ordered ? 'ol' : 'ul')
        if (stack.length) {
          var parentLi = stack[stack.length - 1].el.lastElementChild
          ;(parentLi || stack[stack.length - 1].el).appendChild(list)
        } else {
          p.parentNode.insertBefore(list, p)
        }
        stack.push({ el: list, level: info.level })
      }
      stack[stack.length - 1].el.appendChild(li)
      lastP = p
      // Keep the paragraph in place (hidden from turndown) so the next sibling check still works.
      p.setAttribute('data-app-list-done', '')
    })
    Array.prototype.forEach.call(doc.body.querySelectorAll('p[data-app-list-done]'), function (p) {
      p.remove()
    })
  }

  // GFM tables need one line per row and a heading row; Word tables have neither.
  function tidyTables (doc) {
    Array.prototype.forEach.call(doc.body.querySelectorAll('table'), function (table) {
      Array.prototype.forEach.call(table.querySelectorAll('td, th'), function (cell) {
        cell.textContent = cell.textContent.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|')
      })
      var first = table.rows[0]
      if (!first) return
      var headed = first.parentNode.nodeName === 'THEAD' ||
        Array.prototype.every.call(first.cells, function (c) { return c.nodeName === 'TH' })
      if (!headed) {
        Array.prototype.forEach.call(Array.prototype.slice.call(first.cells), function (td) {
          var th = doc.createElement('th')
          th.textContent = td.textContent
          td.parentNode.replaceChild(th, td)
        })
      }
    })
  }

  function cleanUp (doc) {
    // Office markup, conditional comments and styles carry nothing a reader needs.
    Array.prototype.forEach.call(doc.querySelectorAll('style, script, meta, link, title, xml, o\\:p, iframe, object, embed'),
      function (el) { el.remove() })
    var walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_COMMENT)
    var comments = []
    while (walker.nextNode()) comments.push(walker.currentNode)
    comments.forEach(function (c) { c.remove() })
  }

  function htmlToMarkdown (html) {
    var doc = new DOMParser().parseFromString(html, 'text/html')
    cleanUp(doc)
    rebuildWordLists(doc)
    tidyTables(doc)
    var service = new window.TurndownService({
      headingStyle: 'atx', bulletListMarker: '-', codeBlockStyle: 'fenced', emDelimiter: '*'
    })
    if (window.turndownPluginGfm) service.use(window.turndownPluginGfm.gfm)
    // Anything left that Markdown cannot express is dropped rather than kept as raw HTML.
    service.remove(['style', 'script', 'iframe', 'object', 'embed', 'img', 'svg'])
    return service.turndown(doc.body).replace(/\n{3,}/g, '\n\n').trim()
  }

  function insertAtCursor (textarea, text) {
    var start = textarea.selectionStart
    var end = textarea.selectionEnd
    textarea.setRangeText(text, start, end, 'end')
    textarea.dispatchEvent(new Event('input', { bubbles: true }))
  }

  document.addEventListener('paste', function (event) {
    var textarea = event.target
    if (!textarea || textarea.tagName !== 'TEXTAREA' || !textarea.hasAttribute('data-markdown')) return
    var clipboard = event.clipboardData
    if (!clipboard) return
    var html = clipboard.getData('text/html')
    if (!html) return // plain text pastes as itself
    var markdown
    try { markdown = htmlToMarkdown(html) } catch (e) { return }
    if (!markdown) return
    event.preventDefault()
    insertAtCursor(textarea, markdown)
  })

  // Exposed for tests and for other scripts that accept pasted content.
  window.bcfHtmlToMarkdown = htmlToMarkdown
})()
