/*
 * Printyard live updates.
 *
 * Opens one EventSource to the URL in <body data-live-url="...">, shows the
 * connection state in the element with id="live-status" (class live-on or
 * live-off, text from its data-on / data-off attributes), and re-dispatches
 * every message whose data is JSON as a "printyard:live" CustomEvent on
 * document.body (it bubbles to document and window), with the parsed JSON
 * as event.detail:
 *
 *   document.addEventListener('printyard:live', function (e) {
 *     if (e.detail.type === 'printer') { ... }
 *   });
 *
 * EventSource reconnects by itself after a dropped connection.  When the
 * server refuses the stream (an error status or a wrong content type) the
 * browser gives up; then this script tries again after a growing delay.
 * After htmx swaps in a new page the live URL is read again, and the
 * connection is replaced when it changed.
 */
(function () {
  'use strict';

  if (typeof window.EventSource !== 'function') return;

  var RETRY_MIN_MS = 2000;
  var RETRY_MAX_MS = 60000;

  var source = null;
  var url = '';
  var connected = false;
  var retryTimer = null;
  var retryDelay = RETRY_MIN_MS;

  function render() {
    var el = document.getElementById('live-status');
    if (!el) return;
    el.classList.toggle('live-on', connected);
    el.classList.toggle('live-off', !connected);
    var text = el.getAttribute(connected ? 'data-on' : 'data-off');
    if (text && el.textContent !== text) el.textContent = text;
  }

  function setConnected(value) {
    connected = value;
    render();
  }

  function stop() {
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    if (source) {
      source.close();
      source = null;
    }
    setConnected(false);
  }

  function retryLater() {
    if (retryTimer || !url) return;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      start();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  }

  function onMessage(e) {
    var detail;
    try {
      detail = JSON.parse(e.data);
    } catch (err) {
      return; // not JSON: nothing a page could use
    }
    document.body.dispatchEvent(new CustomEvent('printyard:live', {
      bubbles: true,
      detail: detail
    }));
  }

  function start() {
    if (!url || source) return;
    var es;
    try {
      es = new EventSource(url);
    } catch (err) {
      retryLater();
      return;
    }
    source = es;
    es.onopen = function () {
      if (es !== source) return;
      retryDelay = RETRY_MIN_MS;
      setConnected(true);
    };
    es.onerror = function () {
      if (es !== source) return;
      setConnected(false);
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        source = null;
        retryLater();
      }
    };
    es.onmessage = onMessage;
  }

  function sync() {
    var next = (document.body && document.body.getAttribute('data-live-url')) || '';
    if (next !== url) {
      stop();
      url = next;
      retryDelay = RETRY_MIN_MS;
      start();
    } else {
      render(); // a new page may have brought a new #live-status element
    }
  }

  document.addEventListener('htmx:afterSettle', sync);
  document.addEventListener('htmx:historyRestore', sync);

  // Let the browser keep the page in its back/forward cache.
  window.addEventListener('pagehide', function () {
    stop();
    url = '';
  });
  window.addEventListener('pageshow', function (e) {
    if (e.persisted) sync();
  });

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', sync);
  } else {
    sync();
  }
})();
