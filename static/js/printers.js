/*
 * Printyard printer cards: live updates and the pause / resume / stop
 * buttons.
 *
 * The cards (templates/printers/card.mustache) are complete when the
 * server renders them; this script keeps them current from the
 * "printyard:live" events that live.js dispatches for the nchan channel
 * "printers":
 *   {"type": "printer_states", "items": [{"printer_id": N, "state": {...}}]}
 *   {"type": "printer_command", "printer_id": N, "id": N, "status": ...,
 *    "result": ...}
 * and dresses the values as src/res/farm.c does (farm_dress), with the
 * words from data-labels on .farm-cards.
 *
 * A control button opens a small inline confirmation; "Yes" posts
 * {"command": ...} to /api/v1/printers/{id}/commands with the page's CSRF
 * token and shows the answer in the card.  Loaded once per page (htmx
 * may run it again after a swap: the flag below keeps one set of
 * listeners, all on document).
 */
(function () {
  'use strict';

  if (window.printyardPrinters) return;
  window.printyardPrinters = true;

  function labels() {
    var box = document.querySelector('.farm-cards[data-labels]');
    if (!box) return null;
    try {
      return JSON.parse(box.getAttribute('data-labels'));
    } catch (err) {
      return null;
    }
  }

  function field(card, name) {
    return card.querySelector('[data-field="' + name + '"]');
  }

  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  function show(el, on) {
    if (el) el.hidden = !on;
  }

  function known(v) {
    return typeof v === 'number' && isFinite(v);
  }

  function pct(v, lang) {
    var n = Math.round(v);
    return lang === 'de' ? n + ' %' : n + '%';
  }

  function hmm(s) {
    var m = Math.floor(s / 60) % 60;
    return Math.floor(s / 3600) + ':' + (m < 10 ? '0' : '') + m;
  }

  function temp(v, target) {
    if (!known(v)) return '';
    if (known(target) && target > 0)
      return Math.round(v) + ' / ' + Math.round(target) + ' °C';
    return Math.round(v) + ' °C';
  }

  function colour(c) {
    return /^#[0-9a-fA-F]{6}$/.test(c || '') ? c : '#888888';
  }

  /* Why a command cannot be sent now (as farm_reason in farm.c). */
  function reason(card, t, cmd) {
    var st = card.getAttribute('data-status');
    var printing = st === 'printing' || st === 'preparing';
    var paused = st === 'paused';
    if (card.getAttribute('data-auth-failed') === '1') return t.farm_why_auth;
    if (card.getAttribute('data-online') !== '1') return t.farm_why_offline;
    if (card.getAttribute('data-control-ok') === '0') return t.farm_why_devmode;
    if (cmd === 'pause' && !printing) return t.farm_why_not_printing;
    if (cmd === 'resume' && !paused) return t.farm_why_not_paused;
    if (cmd === 'stop' && !printing && !paused) return t.farm_why_not_printing;
    return null;
  }

  function syncButtons(card, t) {
    var all = null;
    var buttons = card.querySelectorAll('button[data-command]');
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      var why = reason(card, t, b.getAttribute('data-command'));
      b.disabled = !!why;
      if (why) b.title = why;
      else b.removeAttribute('title');
      if (!why) all = '';
      else if (all === null || (all !== '' && i === buttons.length - 1)) all = why;
    }
    var line = field(card, 'why');
    setText(line, all || '');
    show(line, !!all);
  }

  function renderSlots(card, slots, t) {
    var list = field(card, 'slots');
    if (!list) return;
    var active = list.getAttribute('data-active-label') || '';
    while (list.firstChild) list.removeChild(list.firstChild);
    (slots || []).forEach(function (s) {
      var li = document.createElement('li');
      li.className = 'farm-slot' + (s.active ? ' farm-slot-active' : '');
      li.setAttribute('data-testid', 'printer-slot');
      var ns = 'http://www.w3.org/2000/svg';
      var svg = document.createElementNS(ns, 'svg');
      svg.setAttribute('class', 'farm-chip');
      svg.setAttribute('viewBox', '0 0 20 20');
      svg.setAttribute('aria-hidden', 'true');
      var c = document.createElementNS(ns, 'circle');
      c.setAttribute('cx', '10');
      c.setAttribute('cy', '10');
      c.setAttribute('r', '9');
      c.setAttribute('fill', colour(s.color));
      svg.appendChild(c);
      li.appendChild(svg);
      li.appendChild(document.createTextNode(' '));
      var type = document.createElement('span');
      type.textContent = s.type || '';
      li.appendChild(type);
      li.appendChild(document.createTextNode(' '));
      var p = document.createElement('span');
      p.className = 'farm-slot-pct';
      p.textContent = known(s.remaining_pct) && s.remaining_pct >= 0 ? pct(s.remaining_pct, t.lang) : '';
      li.appendChild(p);
      if (s.active) {
        var mark = document.createElement('span');
        mark.className = 'farm-slot-mark';
        mark.textContent = active;
        li.appendChild(document.createTextNode(' '));
        li.appendChild(mark);
      }
      list.appendChild(li);
    });
  }

  function renderErrors(card, errors) {
    var list = field(card, 'errors');
    if (!list) return;
    while (list.firstChild) list.removeChild(list.firstChild);
    (errors || []).forEach(function (e) {
      var li = document.createElement('li');
      var code = document.createElement('code');
      code.textContent = e.code || '';
      li.appendChild(code);
      li.appendChild(document.createTextNode(' ' + (e.text || '')));
      list.appendChild(li);
    });
  }

  function applyState(card, s, t) {
    var was = card.getAttribute('data-status');
    var status = s.online ? (s.status || 'idle') : 'offline';
    card.setAttribute('data-status', status);
    card.setAttribute('data-online', s.online ? '1' : '');
    card.setAttribute('data-control-ok', s.control_ok === true ? '1' : s.control_ok === false ? '0' : '');
    if (s.online) card.setAttribute('data-auth-failed', '');
    card.className = card.className.replace(/\bfarm-status-\w+/, 'farm-status-' + status);
    setText(field(card, 'status'), t['printers_status_' + status] || status);

    var job = s.job || '';
    if (job !== (card.getAttribute('data-job') || '')) {
      // another file: the order shown belonged to the one before
      show(field(card, 'order-line'), false);
      card.setAttribute('data-job', job);
    }
    setText(field(card, 'job'), job);
    show(field(card, 'job-line'), !!job);

    var bar = field(card, 'progress-bar');
    if (bar) bar.value = known(s.progress) ? s.progress : 0;
    setText(field(card, 'progress'), known(s.progress) ? pct(s.progress, t.lang) : '');
    var rem = known(s.remaining_s) && s.remaining_s >= 0;
    setText(field(card, 'remaining'), rem ? hmm(s.remaining_s) : '');
    show(field(card, 'remaining-box'), rem);
    var layer = known(s.layer) && s.layer >= 0;
    setText(field(card, 'layer'), layer ? (known(s.total_layers) ? s.layer + ' / ' + s.total_layers : String(s.layer)) : '');
    show(field(card, 'layer-box'), layer);

    [['nozzle', s.nozzle_c, s.nozzle_target_c], ['bed', s.bed_c, s.bed_target_c],
     ['chamber', s.chamber_c, null]].forEach(function (x) {
      var text = temp(x[1], x[2]);
      setText(field(card, x[0]), text);
      show(field(card, x[0] + '-box'), !!text);
    });

    renderSlots(card, s.slots, t);
    renderErrors(card, s.errors);

    var off = field(card, 'offline');
    if (status === 'offline') {
      if (was !== 'offline') {
        setText(field(card, 'offline-at'), new Date().toLocaleString(t.lang || undefined));
      }
      show(off, true);
    } else {
      show(off, false);
      show(field(card, 'auth'), false);
    }
    syncButtons(card, t);
  }

  function showResult(card, text, bad) {
    var el = field(card, 'result');
    if (!el) return;
    el.textContent = text;
    el.classList.toggle('error-text', !!bad);
  }

  function commandText(t, body) {
    var st = body && body.status;
    if (st === 'done') return { text: body.result || t.farm_cmd_done, bad: false };
    if (st === 'failed') return { text: t.farm_cmd_failed + (body.result ? ': ' + body.result : ''), bad: true };
    return { text: t.farm_cmd_sent, bad: false };
  }

  function onState(item, t) {
    var card = item && item.printer_id && document.getElementById('printer-' + item.printer_id);
    if (card && item.state) applyState(card, item.state, t);
  }

  document.addEventListener('printyard:live', function (e) {
    var d = e.detail;
    var t = labels();
    if (!d || !t) return;
    if (d.type === 'printer_states' && Array.isArray(d.items)) {
      // the worker's batches: one message for every state it stored
      d.items.forEach(function (item) { onState(item, t); });
      return;
    }
    if (!d.printer_id) return;
    var card = document.getElementById('printer-' + d.printer_id);
    if (!card) return;
    if (d.type === 'printer_command' && String(d.id) === card.getAttribute('data-command-id')) {
      var r = commandText(t, d);
      showResult(card, r.text, r.bad);
    }
  });

  function send(card, cmd, t) {
    var id = card.getAttribute('data-printer-id');
    showResult(card, t.farm_cmd_sending, false);
    fetch('/api/v1/printers/' + encodeURIComponent(id) + '/commands', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': window.printyard.csrfToken() },
      body: JSON.stringify({ command: cmd })
    }).then(function (r) {
      if (r.status === 404 || r.status === 405) {
        showResult(card, t.farm_cmd_unavailable, true);
        return null;
      }
      return r.json().then(function (body) {
        if (r.status === 200 || r.status === 202) {
          if (body && body.id) card.setAttribute('data-command-id', String(body.id));
          var res = commandText(t, body);
          showResult(card, res.text, res.bad);
        } else {
          var err = body && body.error ? body.error : {};
          showResult(card, t.farm_cmd_error + ': ' + (err.message || r.statusText), true);
        }
      }, function () {
        showResult(card, t.farm_cmd_error + ': ' + r.status, true);
      });
    }, function (err) {
      showResult(card, t.farm_cmd_error + ': ' + err, true);
    });
  }

  document.addEventListener('click', function (e) {
    var target = e.target;
    if (!target || !target.closest) return;
    var card = target.closest('.farm-card');
    if (!card) return;
    var t = labels();
    if (!t) return;
    var confirm = field(card, 'confirm');
    var button = target.closest('button[data-command]');
    if (button && !button.disabled && confirm) {
      var cmd = button.getAttribute('data-command');
      confirm.setAttribute('data-command', cmd);
      setText(field(card, 'confirm-text'), t['farm_confirm_' + cmd] || cmd);
      confirm.hidden = false;
      var yes = confirm.querySelector('[data-confirm-yes]');
      if (yes) yes.focus();
      return;
    }
    if (target.closest('[data-confirm-no]') && confirm) {
      confirm.hidden = true;
      return;
    }
    if (target.closest('[data-confirm-yes]') && confirm) {
      confirm.hidden = true;
      send(card, confirm.getAttribute('data-command'), t);
    }
  });
})();
