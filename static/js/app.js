/*
 * Printyard: small progressive enhancements.  Every page works without
 * this file; it only adds comfort:
 *   - keeps <html lang> and the <body> attributes (CSRF header, live URL,
 *     page class) current when htmx swaps in a new page (hx-boost keeps the
 *     old <body> element and replaces only its children);
 *   - fades out "ok" flash messages after a few seconds, and shows the
 *     dismiss buttons;
 *   - asks for confirmation before submitting a form whose submit button
 *     (or the form itself) has a data-confirm="question" attribute;
 *   - copies secrets shown once (data-copy="#selector") to the clipboard;
 *   - preselects the current language in select[data-current];
 *   - uploads a print file from a form.plate-upload as the raw request
 *     body to its data-upload-url (the API takes files that way), with the
 *     page's CSRF token, and reloads the page when it is stored;
 *   - keeps the navigation <details> open on wide screens (CSS shows it
 *     there anyway; the open attribute makes it reachable by keyboard), and
 *     closes the menu on Escape or a click elsewhere on narrow screens.
 */
(function () {
  'use strict';

  var FLASH_OK_MS = 6000;
  var BODY_ATTRS = ['hx-headers', 'data-live-url', 'class'];
  var wide = window.matchMedia('(min-width: 48em)');
  var seen = typeof WeakSet === 'function' ? new WeakSet() : null;

  function once(el) {
    if (!seen) return true;
    if (seen.has(el)) return false;
    seen.add(el);
    return true;
  }

  function each(root, selector, fn) {
    var list = root.querySelectorAll(selector);
    for (var i = 0; i < list.length; i++) fn(list[i]);
  }

  /* ---- full-page swaps ---- */

  var DOC_START = /^\s*(?:<!--[\s\S]*?-->\s*)*(?:<!doctype[^>]*>\s*)?<html[\s>]/i;

  document.addEventListener('htmx:beforeSwap', function (e) {
    var d = e.detail;
    if (!d || !d.shouldSwap || d.target !== document.body) return;
    if (typeof d.serverResponse !== 'string' || !DOC_START.test(d.serverResponse)) return;
    var doc = new DOMParser().parseFromString(d.serverResponse, 'text/html');
    var lang = doc.documentElement.getAttribute('lang');
    if (lang) document.documentElement.setAttribute('lang', lang);
    if (!doc.body) return;
    BODY_ATTRS.forEach(function (name) {
      var v = doc.body.getAttribute(name);
      if (v === null) document.body.removeAttribute(name);
      else document.body.setAttribute(name, v);
    });
  });

  /* ---- flash messages ---- */

  function dismiss(flash) {
    if (!flash || !flash.parentNode) return;
    flash.classList.add('is-leaving');
    setTimeout(function () {
      if (flash.parentNode) flash.parentNode.removeChild(flash);
    }, 400);
  }

  function initFlashes(root) {
    each(root, '.flash [data-dismiss]', function (btn) {
      btn.hidden = false;
    });
    each(root, '.flash-ok', function (flash) {
      if (!once(flash)) return;
      var timer = setTimeout(function () { dismiss(flash); }, FLASH_OK_MS);
      // Keep it while the user is pointing at it or has focus inside it.
      function hold() { clearTimeout(timer); }
      flash.addEventListener('mouseenter', hold);
      flash.addEventListener('focusin', hold);
    });
  }

  /* ---- copy buttons ---- */

  function initCopy(root) {
    if (!navigator.clipboard || !window.isSecureContext) return;
    each(root, 'button[data-copy]', function (btn) {
      btn.hidden = false;
    });
  }

  function copyFrom(btn) {
    var source = document.querySelector(btn.getAttribute('data-copy'));
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = btn.textContent;
      var done = btn.getAttribute('data-copied');
      if (!done) return;
      btn.textContent = done;
      setTimeout(function () { btn.textContent = label; }, 2000);
    }, function () { /* clipboard refused: the text stays selectable */ });
  }

  /* ---- language select ---- */

  function initSelects(root) {
    each(root, 'select[data-current]', function (sel) {
      if (sel.querySelector('option[selected]')) return;
      var current = sel.getAttribute('data-current');
      for (var i = 0; i < sel.options.length; i++) {
        if (sel.options[i].value === current) {
          sel.selectedIndex = i;
          break;
        }
      }
    });
  }

  /* ---- navigation menu ---- */

  function menu() {
    return document.getElementById('nav-menu');
  }

  var autoOpened = false;

  function syncMenu() {
    var m = menu();
    if (!m) return;
    /* Opened for real, not only styled open: the contents of a closed
       <details> are skipped by keyboard focus and assistive tools. */
    if (wide.matches) {
      m.open = true;
      autoOpened = true;
    } else if (autoOpened) {
      m.open = false;
      autoOpened = false;
    }
  }

  if (wide.addEventListener) wide.addEventListener('change', syncMenu);
  else if (wide.addListener) wide.addListener(syncMenu);

  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape' || wide.matches) return;
    var m = menu();
    if (m && m.open) {
      m.open = false;
      var s = m.querySelector('summary');
      if (s) s.focus();
    }
  });

  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;

    var dis = t.closest('[data-dismiss]');
    if (dis) {
      dismiss(dis.closest('.flash'));
      return;
    }

    var copy = t.closest('button[data-copy]');
    if (copy) {
      copyFrom(copy);
      return;
    }

    var m = menu();
    if (m && m.open && !wide.matches && !m.contains(t)) m.open = false;
  });

  /* ---- confirmations ---- */

  // Capture phase, so that a refusal stops the event before htmx sees it.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var submitter = e.submitter;
    var question = (submitter && submitter.getAttribute('data-confirm')) ||
      (form && form.getAttribute && form.getAttribute('data-confirm'));
    if (question && !window.confirm(question)) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);

  /* ---- print file upload ---- */

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || '';
    } catch (err) {
      return '';
    }
  }
  /* for the other scripts (printers.js) that post JSON themselves */
  window.printyard = window.printyard || {};
  window.printyard.csrfToken = csrfToken;

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.classList || !form.classList.contains('plate-upload')) return;
    e.preventDefault();
    e.stopPropagation();
    var file = form.querySelector('input[type=file]').files[0];
    var units = form.querySelector('input[name=units]').value.trim();
    var status = form.querySelector('.plate-upload-status');
    if (!file) return;
    var url = form.getAttribute('data-upload-url') + '?name=' + encodeURIComponent(file.name) +
      (units ? '&units=' + encodeURIComponent(units) : '');
    status.textContent = '…';
    fetch(url, {
      method: 'POST',
      body: file,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': csrfToken() }
    }).then(function (r) {
      if (r.status === 201) {
        window.location.reload();
        return null;
      }
      return r.json().then(function (body) {
        var err = body && body.error ? body.error : {};
        var fields = err.fields ? Object.keys(err.fields).map(function (k) {
          return k + ': ' + err.fields[k];
        }).join('; ') : '';
        status.textContent = (err.message || r.statusText) + (fields ? ' (' + fields + ')' : '');
      });
    }).catch(function (err) {
      status.textContent = String(err);
    });
  }, true);

  /* ---- start ---- */

  function init(root) {
    initFlashes(root);
    initCopy(root);
    initSelects(root);
    syncMenu();
  }

  // htmx fires htmx:load for the initial page and for every swapped-in
  // fragment; without htmx, run once on the whole document.
  document.addEventListener('htmx:load', function (e) {
    init(e.target instanceof Element ? e.target : document);
  });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { init(document); });
  } else {
    init(document);
  }
})();
