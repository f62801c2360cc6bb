/*
 * The public quote page (/quote).
 *
 * Files the customer picks are drawn at once from the browser's own copy
 * (three.js; a flat 2D drawing where WebGL is missing) while they upload to
 * POST /api/v1/quotes.  The answer is the priced quote; every option the
 * customer changes afterwards goes to PUT .../options, which prices again
 * from the measures the server kept, so nothing is uploaded twice.  The
 * acceptance form posts to .../accept, and the customer lands on the
 * quote's own page /q/{token}.
 *
 * Texts come from the data-t-* attributes of #quote-app (the page's
 * language); the shop's materials and colours from its data-materials.
 */
import * as THREE from '/static/vendor/three/three.module.js';
import { STLLoader } from '/static/vendor/three/addons/loaders/STLLoader.js';
import { OBJLoader } from '/static/vendor/three/addons/loaders/OBJLoader.js';
import { ThreeMFLoader } from '/static/vendor/three/addons/loaders/3MFLoader.js';

const app = document.getElementById('quote-app');
const $ = (id) => document.getElementById(id);
const t = (k) => app.getAttribute('data-t-' + k) || k;
const lang = app.dataset.lang || 'en';
const materials = JSON.parse(app.dataset.materials || '[]');
const previews = new Map();	/* file name -> canvas */
let quote = null;
let busy = 0;
let pending = null;

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids) if (k) e.append(k);
  return e;
}

function money(cents) {
  return new Intl.NumberFormat(lang === 'de' ? 'de-DE' : 'en-IE', {
    style: 'currency', currency: (quote && quote.currency) || 'EUR'
  }).format(cents / 100);
}

function number(v, digits) {
  return new Intl.NumberFormat(lang === 'de' ? 'de-DE' : 'en-IE', {
    maximumFractionDigits: digits
  }).format(v);
}

function status(text) {
  $('quote-status').textContent = text || '';
}

function showError(body) {
  const box = $('quote-error');
  box.replaceChildren();
  const err = (body && body.error) || { message: t('error') };
  box.append(el('p', { text: err.message }));
  if (err.fields) {
    const ul = el('ul');
    for (const [f, m] of Object.entries(err.fields)) ul.append(el('li', { text: f + ': ' + m }));
    box.append(ul);
  }
  box.hidden = false;
}

function clearError() {
  $('quote-error').hidden = true;
}

/* The API, with the session's CSRF token when a logged-in user tries it. */
async function api(method, url, body) {
  const headers = {};
  if (app.dataset.csrf) headers['X-CSRF-Token'] = app.dataset.csrf;
  if (body && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  }
  const r = await fetch(url, { method, headers, body, credentials: 'same-origin' });
  let json = null;
  try { json = await r.json(); } catch (e) { json = null; }
  return { ok: r.ok, status: r.status, json };
}

/* ---- previews ---- */

function geometryOf(name, buf) {
  const lower = name.toLowerCase();
  if (lower.endsWith('.stl')) return new STLLoader().parse(buf);
  if (lower.endsWith('.obj')) {
    return new OBJLoader().parse(new TextDecoder().decode(buf));
  }
  if (lower.endsWith('.3mf')) return new ThreeMFLoader().parse(buf);
  return null;
}

/* Every triangle of an object, in world coordinates (for the 2D view). */
function triangles(obj) {
  const out = [];
  obj.updateMatrixWorld(true);
  obj.traverse((o) => {
    if (!o.isMesh) return;
    const g = o.geometry.index ? o.geometry.toNonIndexed() : o.geometry;
    const p = g.attributes.position;
    const v = new THREE.Vector3();
    for (let i = 0; i + 2 < p.count && out.length < 600000; i += 3) {
      const tri = [];
      for (let k = 0; k < 3; k++) {
        v.fromBufferAttribute(p, i + k).applyMatrix4(o.matrixWorld);
        tri.push(v.x, v.y, v.z);
      }
      out.push(tri);
    }
  });
  return out;
}

/* Without WebGL: the triangles seen from above at an angle, far ones first. */
function draw2d(canvas, obj) {
  const ctx = canvas.getContext('2d');
  const tris = triangles(obj);
  const box = new THREE.Box3().setFromObject(obj);
  const c = box.getCenter(new THREE.Vector3());
  const size = box.getSize(new THREE.Vector3()).length() || 1;
  const s = (canvas.width * 0.8) / size;
  const view = (x, y, z) => {
    x -= c.x; y -= c.y; z -= c.z;
    const u = (x - y) * 0.7071;
    const w = (x + y) * 0.4082 - z * 0.8165;
    const d = (x + y) * 0.5774 + z * 0.5774;
    return [canvas.width / 2 + u * s, canvas.height / 2 + w * s, d];
  };
  const faces = tris.map((tr) => {
    const a = view(tr[0], tr[1], tr[2]), b = view(tr[3], tr[4], tr[5]), d = view(tr[6], tr[7], tr[8]);
    const nx = (b[0] - a[0]) * (d[1] - a[1]) - (b[1] - a[1]) * (d[0] - a[0]);
    return { a, b, d, z: a[2] + b[2] + d[2], shade: Math.min(1, Math.abs(nx) / 50 + 0.35) };
  });
  faces.sort((p, q) => p.z - q.z);
  ctx.fillStyle = '#f4f6f8';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const f of faces) {
    const g = Math.round(90 + 120 * f.shade);
    ctx.fillStyle = `rgb(${g - 40},${g},${g + 20})`;
    ctx.beginPath();
    ctx.moveTo(f.a[0], f.a[1]); ctx.lineTo(f.b[0], f.b[1]); ctx.lineTo(f.d[0], f.d[1]);
    ctx.closePath();
    ctx.fill();
  }
  canvas.dataset.rendered = '2d';
}

function draw3d(canvas, obj) {
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setSize(canvas.width, canvas.height, false);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf4f6f8);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 2.2));
  const sun = new THREE.DirectionalLight(0xffffff, 1.6);
  sun.position.set(1, -1, 2);
  scene.add(sun);
  obj.traverse((o) => {
    if (o.isMesh) o.material = new THREE.MeshStandardMaterial({ color: 0x3f8f6f, roughness: 0.6, flatShading: true });
  });
  const box = new THREE.Box3().setFromObject(obj);
  const c = box.getCenter(new THREE.Vector3());
  const r = box.getSize(new THREE.Vector3()).length() / 2 || 1;
  obj.position.sub(c);
  scene.add(obj);
  const camera = new THREE.PerspectiveCamera(35, canvas.width / canvas.height, r / 100, r * 100);
  camera.up.set(0, 0, 1);
  camera.position.set(r * 2.2, -r * 2.2, r * 1.8);
  camera.lookAt(0, 0, 0);
  let angle = 0;
  const frame = () => {
    renderer.render(scene, camera);
    if (!canvas.isConnected) return;
    angle += 0.01;
    obj.rotation.z = angle;
    requestAnimationFrame(frame);
  };
  frame();
  canvas.dataset.rendered = 'webgl';
}

async function preview(file) {
  const canvas = el('canvas', { width: 320, height: 240, class: 'quote-preview', 'data-testid': 'quote-preview', 'aria-label': file.name });
  previews.set(file.name, canvas);
  try {
    const geo = geometryOf(file.name, await file.arrayBuffer());
    if (!geo) throw new Error('unknown kind');
    const obj = geo.isBufferGeometry ? new THREE.Mesh(geo) : geo;
    let webgl = false;
    try {
      const probe = document.createElement('canvas');
      webgl = !!(probe.getContext('webgl2') || probe.getContext('webgl'));
    } catch (e) { webgl = false; }
    if (webgl) draw3d(canvas, obj); else draw2d(canvas, obj);
  } catch (e) {
    canvas.dataset.rendered = 'none';
    canvas.title = t('preview-none');
  }
  return canvas;
}

/* ---- the quote ---- */

function colorOptions(material, selected) {
  const m = materials.find((x) => x.material === material);
  const sel = el('select', { 'data-field': 'color_name', 'aria-label': t('color') });
  sel.append(el('option', { value: '', text: t('any-color') }));
  for (const c of (m && m.colors) || []) {
    const o = el('option', { value: c.name, text: c.name + ' · ' + (c.in_stock ? t('in-stock') : t('on-order')) });
    if (c.name === selected) o.selected = true;
    sel.append(o);
  }
  return sel;
}

function select(field, options, value, label) {
  const s = el('select', { 'data-field': field, 'aria-label': label });
  for (const [v, text] of options) {
    const o = el('option', { value: v, text });
    if (String(v) === String(value)) o.selected = true;
    s.append(o);
  }
  return s;
}

function partCard(part, first) {
  const gross = quote.customer_kind !== 'business';
  const size = [0, 1, 2].map((i) => number(part.mesh.max[i] - part.mesh.min[i], 1)).join(' × ') + ' mm';
  const card = el('article', { class: 'quote-part', 'data-testid': 'quote-part', 'data-part': part.id });
  /* a file's drawing moves to its first part's card (a 3MF may hold more) */
  const canvas = first ? previews.get(part.file_name) : null;
  if (canvas) card.append(canvas);
  card.append(el('header', {}, el('strong', { text: part.name }), ' ', el('small', { class: 'muted', text: part.file_name })));
  const facts = el('dl', { class: 'quote-facts' });
  const fact = (k, v, id) => facts.append(el('dt', { text: k }), el('dd', { text: v, 'data-testid': id }));
  fact(t('size'), size, 'quote-part-size');
  fact(t('volume'), number(part.mesh.volume_mm3 / 1000, 1) + ' cm³');
  fact(t('weight'), number(part.grams, 0) + ' g', 'quote-part-grams');
  fact(t('time'), number(part.minutes / 60, 1) + ' h');
  card.append(facts);
  if (part.slicing) card.append(el('p', { class: 'quote-method muted', 'data-testid': 'quote-part-slicing', text: t('slicing') }));
  else if (part.method === 'sliced') card.append(el('p', { class: 'quote-method muted', 'data-testid': 'quote-part-sliced', text: t('sliced') }));
  for (const w of part.warnings || []) card.append(el('p', { class: 'quote-warning', 'data-testid': 'quote-warning', 'data-code': w.code, text: w.text }));
  const opts = el('div', { class: 'quote-options grid' });
  opts.append(
    el('label', {}, t('material'), select('material', materials.map((m) => [m.material, m.label || m.material]), part.material, t('material'))),
    el('label', {}, t('color'), colorOptions(part.material, part.color_name)),
    el('label', {}, t('quality'), select('quality', quote.options.qualities.map((q) => [q.name, q.name + ' · ' + q.layer_mm + ' mm']), part.quality, t('quality'))),
    el('label', {}, t('infill'), el('input', { type: 'number', min: 0, max: 100, step: 5, value: part.infill_pct, 'data-field': 'infill_pct' })),
    el('label', {}, t('quantity'), el('input', { type: 'number', min: 1, max: 10000, value: part.quantity, 'data-field': 'quantity', 'data-testid': 'quote-part-quantity' })));
  opts.addEventListener('change', (ev) => {
    const f = ev.target.dataset.field;
    if (!f) return;
    let v = ev.target.value;
    if (f === 'infill_pct' || f === 'quantity') v = parseInt(v, 10);
    if (f === 'color_name' && v === '') v = null;
    const change = { id: part.id, [f]: v };
    if (f === 'material') change.color_name = null;
    reprice({ parts: [change] });
  });
  card.append(opts);
  const price = el('p', { class: 'quote-part-price' },
    t('unit') + ': ', el('strong', { text: money(gross ? part.price.unit_gross_cents : part.price.unit_cents), 'data-testid': 'quote-part-unit' }));
  card.append(price);
  return card;
}

function render() {
  $('quote-result').hidden = false;
  $('quote-number').textContent = quote.number;
  $('quote-valid').textContent = t('valid') + ' ' + new Date(quote.valid_until + 'T12:00:00').toLocaleDateString(lang === 'de' ? 'de-DE' : 'en-GB');
  const seen = new Set();
  $('quote-parts').replaceChildren(...quote.parts.map((p) => {
    const first = !seen.has(p.file_name);
    seen.add(p.file_name);
    return partCard(p, first);
  }));
  const b = quote.breakdown;
  const rows = [];
  for (const k of ['material', 'machine', 'labour', 'setup', 'overhead', 'margin', 'discount', 'minimum']) {
    const c = b[k + '_cents'];
    if (!c) continue;
    rows.push(el('tr', { 'data-line': k }, el('th', { scope: 'row', text: t('line-' + k) }), el('td', { class: 'orders-num', text: money(k === 'discount' ? -c : c) })));
  }
  rows.push(el('tr', { class: 'quote-sum' }, el('th', { scope: 'row', text: t('net') }), el('td', { class: 'orders-num', text: money(b.net_cents), 'data-testid': 'quote-net' })));
  rows.push(el('tr', {}, el('th', { scope: 'row', text: t('vat') + ' ' + number(b.vat_bp / 100, 2) + ' %' }), el('td', { class: 'orders-num', text: money(b.vat_cents) })));
  rows.push(el('tr', { class: 'quote-total' }, el('th', { scope: 'row', text: t('gross') }), el('td', { class: 'orders-num', text: money(b.gross_cents), 'data-testid': 'quote-gross', 'data-cents': b.gross_cents })));
  $('quote-lines').replaceChildren(...rows);
  $('quote-review').hidden = !quote.review_required;
  for (const r of app.querySelectorAll('input[name=customer_kind]')) r.checked = r.value === quote.customer_kind;
  follow();
}

/*
 * While a part waits for the slicer, the quote's live channel says when
 * its figures change; the quote is then read again (the channel carries
 * no figures).  Nothing to wait for: the channel is let go.
 */
let live = null;
let liveTimer = null;
function follow() {
  const waiting = quote && quote.parts.some((p) => p.slicing);
  if (!waiting || typeof window.EventSource !== 'function') {
    if (live) { live.close(); live = null; }
    return;
  }
  if (live) return;
  live = new EventSource(quote.links.live);
  live.onmessage = () => {
    if (liveTimer) return;
    liveTimer = setTimeout(async () => {
      liveTimer = null;
      if (busy || !quote) return;
      const r = await api('GET', quote.links.self);
      if (r.ok && !busy) { quote = r.json; render(); }
    }, 200);
  };
}

/* One change at a time; the last one asked for while busy wins. */
async function reprice(change) {
  if (!quote) return;
  if (busy) { pending = Object.assign(pending || {}, change); return; }
  busy = 1;
  status(t('repricing'));
  app.classList.add('quote-busy');
  const r = await api('PUT', `/api/v1/public/quotes/${quote.token}/options`, change);
  busy = 0;
  app.classList.remove('quote-busy');
  status('');
  if (r.ok) { clearError(); quote = r.json; render(); } else showError(r.json);
  if (pending) { const p = pending; pending = null; reprice(p); }
}

async function upload(files) {
  clearError();
  if (!files.length) return;
  status(t('uploading'));
  app.classList.add('quote-busy');
  const shown = Promise.all(files.map(preview));
  const form = new FormData();
  for (const f of files) form.append('file', f, f.name);
  form.append('material', $('quote-material').value);
  form.append('quality', $('quote-quality').value);
  form.append('infill_pct', $('quote-infill').value);
  const r = await api('POST', '/api/v1/quotes', form);
  await shown;
  app.classList.remove('quote-busy');
  status('');
  if (!r.ok) { showError(r.json); return; }
  quote = r.json;
  render();
}

$('quote-files').addEventListener('change', (ev) => upload([...ev.target.files]));
const zone = $('quote-dropzone');
zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', (ev) => {
  ev.preventDefault();
  zone.classList.remove('over');
  upload([...ev.dataTransfer.files]);
});
const hint = $('quote-drop-hint');
hint.textContent = hint.textContent.replace('{mb}', hint.dataset.maxMb);

/* the choices above the drop zone apply to every part of the quote */
for (const id of ['quote-material', 'quote-quality', 'quote-infill']) {
  $(id).addEventListener('change', () => {
    if (!quote) return;
    const v = $(id).value;
    if (id === 'quote-material') reprice({ material: v });
    else if (id === 'quote-quality') reprice({ quality: v });
    else reprice({ infill_pct: parseInt(v, 10) });
  });
}
for (const r of app.querySelectorAll('input[name=customer_kind]')) {
  r.addEventListener('change', () => reprice({ customer_kind: r.value }));
}
$('quote-same-address').addEventListener('change', (ev) => { $('quote-shipping').hidden = ev.target.checked; });

$('quote-accept').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (!quote) return;
  const form = ev.target;
  const body = {};
  for (const [k, v] of new FormData(form).entries()) if (v !== '') body[k] = v;
  body.accept_terms = form.elements.accept_terms.checked;
  body.expected_gross_cents = quote.breakdown.gross_cents;
  if ($('quote-same-address').checked) {
    for (const k of ['street', 'postal_code', 'city', 'country']) delete body['shipping_' + k];
  }
  if (body.billing_country) body.billing_country = body.billing_country.toUpperCase();
  if (body.shipping_country) body.shipping_country = body.shipping_country.toUpperCase();
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  const r = await api('POST', `/api/v1/public/quotes/${quote.token}/accept`, body);
  button.disabled = false;
  if (!r.ok) {
    showError(r.json);
    /* the price moved on: show the one that holds now */
    if (r.status === 409) {
      const now = await api('GET', quote.links.self);
      if (now.ok) { quote = now.json; render(); }
    }
    return;
  }
  window.location.assign(r.json.links.page);
});
