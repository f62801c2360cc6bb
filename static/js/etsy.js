/*
 * Settings -> Etsy: the progress of the sync the page asked for.
 *
 * The jobs worker publishes {"type": "etsy_sync", "id", "status", "pages",
 * "total_receipts", "new_orders", ...} on the live channel "etsy" after
 * every page; live.js hands them over as printyard:live events.  The bar
 * fills by pages of 100 receipts as far as the counts say, and the page
 * is loaded again when the sync is over, to show its row.  Without live
 * updates the page asks GET /api/v1/etsy/sync/{id} every two seconds.
 */
(function () {
  'use strict';

  function box() { return document.querySelector('[data-testid="etsy-progress"]'); }

  function text(tpl, s) {
    return tpl.replace('{n}', s.total_receipts).replace('{o}', s.new_orders);
  }

  function show(s) {
    var el = box();
    if (!el || String(s.id) !== el.getAttribute('data-sync')) return;
    var bar = el.querySelector('progress');
    var p = el.querySelector('p');
    if (s.status === 'done' || s.status === 'failed') {
      bar.value = 100;
      p.textContent = text(el.getAttribute(s.status === 'done' ? 'data-done' : 'data-failed'), s);
      el.setAttribute('data-status', s.status);
      setTimeout(function () { window.location.assign('/settings/etsy'); }, 1500);
      return;
    }
    if (typeof s.progress === 'number') bar.value = s.progress;
    else bar.value = Math.min(95, 10 + s.pages * 10);
    p.textContent = text(el.getAttribute('data-running'), s);
  }

  document.addEventListener('printyard:live', function (e) {
    if (e.detail && e.detail.type === 'etsy_sync') show(e.detail);
  });

  function poll() {
    var el = box();
    if (!el || el.getAttribute('data-status')) return;
    fetch('/api/v1/etsy/sync/' + el.getAttribute('data-sync'), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) show(s); })
      .catch(function () {})
      .then(function () { setTimeout(poll, 2000); });
  }
  if (box()) setTimeout(poll, 2000);
})();
