// A "Preview" button under each narrative answer (textarea[data-markdown]) shows the
// Markdown as it will appear on the plan and in the PDF. The server renders and sanitises
// it (plans:markdown_preview), so the preview can never run anything the answer contains.
(function () {
  'use strict'

  var config = document.querySelector('[data-preview-url]')
  if (!config) return
  var url = config.getAttribute('data-preview-url')

  function csrfToken (textarea) {
    var scope = textarea.form || document
    var input = scope.querySelector('input[name="csrfmiddlewaretoken"]')
    if (input) return input.value
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/)
    return match ? decodeURIComponent(match[1]) : ''
  }

  function setUp (textarea, index) {
    var id = (textarea.id || 'markdown-' + index) + '-preview'
    var button = document.createElement('button')
    button.type = 'button'
    button.className = 'govuk-button govuk-button--secondary govuk-!-margin-bottom-2'
    button.setAttribute('aria-controls', id)
    button.setAttribute('aria-expanded', 'false')
    button.setAttribute('data-markdown-preview-toggle', '')
    button.textContent = 'Preview'

    var panel = document.createElement('div')
    panel.id = id
    panel.className = 'app-preview app-markdown govuk-body'
    panel.setAttribute('data-markdown-preview', '')
    panel.setAttribute('aria-live', 'polite')
    panel.hidden = true

    // After the textarea's character count message or error, inside its form group.
    var group = textarea.closest('.govuk-form-group') || textarea.parentNode
    group.appendChild(button)
    group.appendChild(panel)

    button.addEventListener('click', function () {
      if (!panel.hidden) {
        panel.hidden = true
        button.textContent = 'Preview'
        button.setAttribute('aria-expanded', 'false')
        return
      }
      button.disabled = true
      var body = new FormData()
      body.append('text', textarea.value)
      fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        redirect: 'error',
        headers: { 'X-CSRFToken': csrfToken(textarea), Accept: 'application/json' },
        body: body
      }).then(function (response) {
        // A 400 says what is wrong with the text (too long, nested too deeply): show that.
        if (response.status === 400) {
          return response.json().then(function (result) {
            panel.textContent = result.error + ' Your text is still here.'
          })
        }
        if (!response.ok) throw new Error(String(response.status))
        return response.json().then(function (result) {
          // Sanitised by nh3 on the server: the same HTML the saved answer will show.
          panel.innerHTML = result.html || '<p class="govuk-hint">Nothing to preview yet.</p>'
        })
      }).catch(function () {
        panel.textContent = 'The preview is not available. Your text is still here; try again, or sign in again if asked.'
      }).then(function () {
        button.disabled = false
        panel.hidden = false
        button.textContent = 'Hide preview'
        button.setAttribute('aria-expanded', 'true')
      })
    })

    // A preview that no longer matches the text would mislead: hide it on edit.
    textarea.addEventListener('input', function () {
      if (!panel.hidden) {
        panel.hidden = true
        button.textContent = 'Preview'
        button.setAttribute('aria-expanded', 'false')
      }
    })
  }

  Array.prototype.forEach.call(document.querySelectorAll('textarea[data-markdown]'), setUp)
})()
