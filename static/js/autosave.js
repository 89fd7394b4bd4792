// Keeps what a user types in a plan form so that a crash, a closed tab or an expired
// session loses nothing. Every few seconds the form's values go to the server as a
// per-user draft, and a copy stays in localStorage for when the server cannot be
// reached (session expired, offline). On load, a draft that differs from the saved
// page is offered back in the notification banner: Restore fills the fields, Discard
// forgets it. The page's own save discards the server draft.
(function () {
  'use strict'

  var config = document.querySelector('[data-autosave-config]')
  var form = document.querySelector('form[data-autosave-form][data-form-key]')
  if (!config || !form) return

  var INTERVAL = parseInt(form.getAttribute('data-autosave-interval') || '3000', 10)
  var url = config.getAttribute('data-autosave-url')
  var formKey = form.getAttribute('data-form-key')
  var storageKey = config.getAttribute('data-storage-key') + ':' + formKey
  var banner = config.querySelector('[data-autosave-banner]')
  var status = config.querySelector('[data-autosave-status]')
  // When the saved data was last saved, if the page says (ISO 8601): older drafts are stale.
  var savedAt = Date.parse(form.getAttribute('data-saved-at') || '') || 0

  // Fields never worth keeping: the CSRF token belongs to the session, files cannot be restored.
  function skipField (el) {
    return !el.name || el.disabled || el.name === 'csrfmiddlewaretoken' || el.type === 'file' ||
      el.type === 'submit' || el.type === 'button' || el.type === 'reset'
  }

  function serialise () {
    var data = {}
    Array.prototype.forEach.call(form.elements, function (el) {
      if (skipField(el)) return
      if (el.type === 'checkbox' || el.type === 'radio') {
        if (!(el.name in data)) data[el.name] = []
        if (el.checked) data[el.name].push(el.value)
      } else if (el.tagName === 'SELECT' && el.multiple) {
        data[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected })
          .map(function (o) { return o.value })
      } else {
        data[el.name] = el.value
      }
    })
    return data
  }

  function same (a, b) { return JSON.stringify(a) === JSON.stringify(b) }

  // What the user typed or chose, without hidden fields (such as the version a save is
  // based on): whether there is anything to offer back depends only on these.
  function typed (data) {
    var out = {}
    Object.keys(data).forEach(function (name) {
      var el = form.elements[name]
      if (el && el.type === 'hidden') return
      out[name] = data[name]
    })
    return out
  }

  function sameTyping (a, b) { return same(typed(a), typed(b)) }

  function fill (data) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (skipField(el) || !(el.name in data)) return
      var value = data[el.name]
      if (el.type === 'checkbox' || el.type === 'radio') {
        el.checked = [].concat(value).indexOf(el.value) !== -1
      } else if (el.tagName === 'SELECT' && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = [].concat(value).indexOf(o.value) !== -1 })
      } else if (typeof value === 'string') {
        el.value = value
      }
      el.dispatchEvent(new Event('input', { bubbles: true }))
      el.dispatchEvent(new Event('change', { bubbles: true }))
    })
  }

  function readLocal () {
    try { return JSON.parse(window.localStorage.getItem(storageKey) || 'null') } catch (e) { return null }
  }

  function writeLocal (entry) {
    try { window.localStorage.setItem(storageKey, JSON.stringify(entry)) } catch (e) { /* storage full or off */ }
  }

  function dropLocal () {
    try { window.localStorage.removeItem(storageKey) } catch (e) { /* storage off */ }
  }

  function csrfToken () {
    var input = form.querySelector('input[name="csrfmiddlewaretoken"]')
    return input ? input.value : ''
  }

  function say (text) { if (status) status.textContent = text }

  function timeText (date) {
    return date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' }) + ' on ' +
      date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })
  }

  var baseline = serialise() // what the server rendered: the saved data (or the user's rejected input)
  var lastSent = baseline
  var sending = false

  function post (body, keepalive) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: !!keepalive,
      redirect: 'error',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken(), Accept: 'application/json' },
      body: JSON.stringify(body)
    })
  }

  // Send the current values if they changed. Unchanged-from-saved means there is nothing to keep.
  function save (keepalive) {
    var data = serialise()
    if (same(data, lastSent) || sending) return
    var now = new Date().toISOString()
    var unchanged = sameTyping(data, baseline)
    if (unchanged) dropLocal(); else writeLocal({ data: data, updated_at: now, synced: false })
    sending = true
    var body = unchanged ? { form_key: formKey, discard: true } : { form_key: formKey, data: data }
    post(body, keepalive).then(function (response) {
      sending = false
      if (!response.ok) throw new Error(String(response.status))
      lastSent = data
      if (!unchanged) {
        var entry = readLocal()
        if (entry && same(entry.data, data)) { entry.synced = true; writeLocal(entry) }
        say('Your changes were kept as a draft at ' + timeText(new Date()) + '. Save the page to keep them for good.')
      }
    }).catch(function () {
      sending = false
      if (!unchanged) say('Your changes are kept in this browser. Sign in again if asked, then save the page.')
    })
  }

  // Last chance when the tab is hidden or closed: sendBeacon outlives the page.
  function flush () {
    var data = serialise()
    if (same(data, lastSent)) return
    var unchanged = sameTyping(data, baseline)
    if (!unchanged) writeLocal({ data: data, updated_at: new Date().toISOString(), synced: false })
    var payload = new FormData()
    payload.append('csrfmiddlewaretoken', csrfToken())
    payload.append('form_key', formKey)
    if (unchanged) payload.append('discard', '1'); else payload.append('data', JSON.stringify(data))
    if (navigator.sendBeacon && navigator.sendBeacon(url, payload)) { lastSent = data; return }
    save(true)
  }

  function showBanner (draft) {
    if (!banner) return
    var when = new Date(draft.updated_at)
    var time = banner.querySelector('[data-autosave-time]')
    time.setAttribute('datetime', draft.updated_at)
    time.textContent = timeText(when)
    banner.hidden = false
    banner.querySelector('[data-autosave-restore]').onclick = function () {
      fill(draft.data)
      lastSent = {} // make the next tick send the restored values to the server
      banner.hidden = true
      say('Your unsaved changes have been restored. Save the page to keep them.')
      var first = form.querySelector('textarea, input:not([type=hidden]), select')
      if (first) first.focus()
    }
    banner.querySelector('[data-autosave-discard]').onclick = function () {
      dropLocal()
      lastSent = serialise()
      post({ form_key: formKey, discard: true }).catch(function () {})
      banner.hidden = true
      say('Your unsaved changes have been discarded.')
    }
  }

  // Pick what to offer: the newer of the server draft and this browser's copy, unless it is
  // what the page already shows, or older than the last save.
  function offer (serverDraft) {
    var local = readLocal()
    // A copy the server accepted, but the server no longer holds: a save or Discard cleared it.
    if (local && local.synced && !serverDraft) { dropLocal(); local = null }
    var candidates = [serverDraft, local].filter(function (d) {
      if (!d || !d.data) return false
      if (savedAt && Date.parse(d.updated_at) <= savedAt) return false
      return !sameTyping(Object.assign({}, baseline, d.data), baseline)
    })
    if (local && candidates.indexOf(local) === -1) dropLocal()
    if (!candidates.length) return
    candidates.sort(function (a, b) { return Date.parse(b.updated_at) - Date.parse(a.updated_at) })
    showBanner(candidates[0])
  }

  fetch(url + '?form_key=' + encodeURIComponent(formKey), {
    credentials: 'same-origin', redirect: 'error', headers: { Accept: 'application/json' }
  }).then(function (response) {
    return response.ok ? response.json() : { draft: null }
  }).then(function (body) { offer(body.draft) }, function () { offer(null) })

  form.addEventListener('submit', function () {
    // Keep the local copy until the saved page proves it arrived (it is dropped on the next
    // visit when it matches); but the server draft is the page's to discard on success.
    var data = serialise()
    if (!sameTyping(data, baseline)) writeLocal({ data: data, updated_at: new Date().toISOString(), synced: false })
    lastSent = data
    window.clearInterval(timer)
  })

  var timer = window.setInterval(function () { save(false) }, INTERVAL)
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') flush()
  })
  window.addEventListener('pagehide', flush)
})()
