/*
 * The customer's quote page (/q/{token}) follows its own live channel (the
 * data-live URL of #quote-live): any message means the quote or its order
 * moved, and the page is drawn again by the server.  The channel carries
 * no content, so nothing but a reload is trusted from it.
 */
(function () {
  'use strict';

  var el = document.getElementById('quote-live');
  if (!el || typeof window.EventSource !== 'function') return;
  var source = new EventSource(el.getAttribute('data-live'));
  var timer = null;
  source.onmessage = function () {
    if (timer) return;
    timer = setTimeout(function () { window.location.reload(); }, 300);
  };
})();
