// The page's behaviour: collects the form into a profile, validates it through
// POST /v1/validate while the user types (each diagnostic beside its field), builds through
// POST /v1/packages, reads a PFX's thumbprint through POST /v1/certificates/thumbprint,
// shows a dropped package as a tree (POST /v1/inspect) and draws GET /v1/schedule.
// Plain JavaScript: no framework, nothing loaded from elsewhere.
'use strict';

const $ = (id) => document.getElementById(id);
const val = (id) => $(id).value.trim();
let pfx = null; // { name, base64 }
let validateTimer = null;
let validateSeq = 0;

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const t = $('token').value.trim();
  if (t) h['Authorization'] = 'Bearer ' + t;
  return h;
}

function flow() {
  return document.querySelector('input[name=flow]:checked').value;
}

// The profile in the JSON shape of a TOML profile (see crates/workplace).
function collect() {
  const cert = flow() === 'cert';
  const enrollment = { upn: val('upn'), auth_policy: cert ? 'Certificate' : 'OnPremise' };
  if (val('discovery')) enrollment.discovery_service_full_url = val('discovery');
  if (val('enrollment-url')) enrollment.enrollment_service_full_url = val('enrollment-url');
  if (val('policy-url')) enrollment.policy_service_full_url = val('policy-url');
  const profile = {
    package: {
      name: val('pkg-name'),
      version: val('pkg-version'),
      owner_type: $('pkg-owner').value,
      rank: Number.parseInt($('pkg-rank').value || '0', 10),
    },
    enrollments: [enrollment],
  };
  const assets = {};
  if (cert) {
    if (val('thumbprint')) enrollment.secret = val('thumbprint');
    if (pfx) {
      const c = { name: 'Enrollment', pfx: pfx.name, key_location: $('key-location').value };
      if ($('pfx-password').value) c.password = $('pfx-password').value;
      profile.client_certificates = [c];
      assets[pfx.name] = pfx.base64;
    }
  } else if ($('password').value) {
    enrollment.secret = $('password').value;
  }
  if (val('ssid')) {
    const w = { ssid: val('ssid'), security: $('wifi-security').value,
      auto_connect: $('wifi-auto').checked, hidden: $('wifi-hidden').checked };
    if ($('wifi-key').value) w.key = $('wifi-key').value;
    profile.wifi = [w];
  }
  if (val('computer-name')) profile.computer_name = val('computer-name');
  return { profile, assets };
}

// Which field a diagnostic belongs to, from its setting path and code.
function fieldOf(d) {
  const p = d.path || '';
  if (p.startsWith('PackageConfig/Name')) return 'pkg-name';
  if (p.startsWith('PackageConfig/Version')) return 'pkg-version';
  if (p.startsWith('PackageConfig/OwnerType')) return 'pkg-owner';
  if (p.startsWith('PackageConfig/Rank')) return 'pkg-rank';
  if (p.includes('ComputerName')) return 'computer-name';
  if (p.includes('Enrollments/UPN')) {
    if (p.endsWith('/DiscoveryServiceFullUrl')) return 'discovery';
    if (p.endsWith('/EnrollmentServiceFullUrl')) return 'enrollment-url';
    if (p.endsWith('/PolicyServiceFullUrl')) return 'policy-url';
    if (p.endsWith('/Secret')) return flow() === 'cert' ? 'thumbprint' : 'password';
    if (/\]$/.test(p) || p.endsWith('/UPN')) return 'upn';
    return 'upn';
  }
  if (p.includes('ClientCertificate')) {
    if (p.endsWith('/CertificatePassword')) return 'pfx-password';
    if (p.endsWith('/KeyLocation')) return 'key-location';
    return 'pfx';
  }
  if (p.includes('WLAN')) {
    if (p.endsWith('/SecurityKey')) return 'wifi-key';
    return 'ssid';
  }
  if (p.startsWith('assets/')) return 'pfx';
  return 'general';
}

function clearDiags() {
  document.querySelectorAll('.diag').forEach((e) => { e.textContent = ''; });
  document.querySelectorAll('.has-error').forEach((e) => e.classList.remove('has-error'));
}

function showDiags(diags) {
  clearDiags();
  for (const d of diags) {
    if (d.severity === 'info') continue;
    const f = fieldOf(d);
    const box = document.querySelector('.diag[data-for="' + f + '"]') || $('general');
    const line = document.createElement('div');
    line.className = d.severity;
    line.dataset.code = d.code;
    line.textContent = (d.severity === 'warning' ? 'Warning: ' : '') + d.message;
    box.appendChild(line);
    if (d.severity === 'error' && $(f)) $(f).classList.add('has-error');
  }
}

function validateSoon() {
  updateNameLength();
  clearTimeout(validateTimer);
  validateTimer = setTimeout(validateNow, 250);
}

async function validateNow() {
  const seq = ++validateSeq;
  const body = collect();
  try {
    const r = await fetch('/v1/validate', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(body) });
    const j = await r.json();
    if (seq !== validateSeq) return; // a newer check is under way
    if (!r.ok) { showDiags([{ severity: 'error', code: j.type, path: '', message: j.detail }]); return; }
    showDiags(j.diagnostics);
    $('status').textContent = j.valid ? 'Ready to build.' : '';
    document.body.dataset.validated = String(seq);
  } catch (e) {
    $('status').textContent = 'Cannot reach the server: ' + e;
  }
}

// %SERIAL% and %RAND:n% expanded at their longest, against the 15-character NetBIOS limit.
function updateNameLength() {
  const s = val('computer-name');
  const out = $('name-length');
  if (!s) { out.textContent = ''; out.classList.remove('over'); return; }
  const serialLen = Number.parseInt($('serial-len').value || '0', 10) || 0;
  let fixed = 0; let serials = 0; let rand = 0;
  const re = /%(SERIAL|RAND:(\d+))%/gi;
  let last = 0; let m;
  while ((m = re.exec(s)) !== null) {
    fixed += m.index - last;
    if (m[2]) rand += Number.parseInt(m[2], 10); else serials += 1;
    last = re.lastIndex;
  }
  fixed += s.length - last;
  const worst = fixed + rand + serials * serialLen;
  out.textContent = 'Worst case: ' + worst + ' of 15 characters (' + fixed + ' fixed, ' + rand +
    ' random digits' + (serials ? ', ' + serials + ' × serial of ' + serialLen : '') + ')';
  out.classList.toggle('over', worst > 15);
  out.dataset.worst = String(worst);
}

async function readPfx() {
  const f = $('pfx').files[0];
  if (!f) { pfx = null; $('thumbprint').value = ''; validateSoon(); return; }
  const buf = new Uint8Array(await f.arrayBuffer());
  let bin = '';
  for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
  const name = f.name.replace(/[^A-Za-z0-9._-]/g, '_') || 'client.pfx';
  pfx = { name, base64: btoa(bin) };
  await fetchThumbprint();
}

async function fetchThumbprint() {
  if (!pfx) return;
  $('thumbprint').value = '';
  const r = await fetch('/v1/certificates/thumbprint', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify({ pfx: pfx.base64, password: $('pfx-password').value }) });
  const j = await r.json();
  if (r.ok) {
    $('thumbprint').value = j.thumbprint;
    $('thumbprint').title = j.subject;
  }
  validateSoon();
  if (!r.ok) {
    setTimeout(() => {
      const box = document.querySelector('.diag[data-for="pfx-password"]');
      const line = document.createElement('div');
      line.className = 'error';
      line.textContent = (j.diagnostics && j.diagnostics[0] ? j.diagnostics[0].message : j.detail);
      box.appendChild(line);
    }, 400);
  }
}

async function build(ev) {
  ev.preventDefault();
  $('build').disabled = true;
  $('status').textContent = 'Building…';
  try {
    const r = await fetch('/v1/packages', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(collect()) });
    if (!r.ok) {
      const j = await r.json();
      if (j.diagnostics) showDiags(j.diagnostics);
      $('status').textContent = 'Not built: ' + j.detail;
      return;
    }
    const blob = await r.blob();
    const cd = r.headers.get('Content-Disposition') || '';
    const m = /filename="([^"]+)"/.exec(cd);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = m ? m[1] : 'package.ppkg';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    $('status').textContent = 'Built ' + a.download + ' (' + blob.size + ' bytes, package ID ' + r.headers.get('X-Package-Id') + ').';
  } finally {
    $('build').disabled = false;
  }
}

function tree(value, key) {
  const li = document.createElement('li');
  if (value !== null && typeof value === 'object') {
    const det = document.createElement('details');
    det.open = true;
    const sum = document.createElement('summary');
    const k = document.createElement('span');
    k.className = 'key';
    k.textContent = key === undefined ? 'package' : key;
    sum.appendChild(k);
    if (Array.isArray(value)) sum.appendChild(document.createTextNode(' [' + value.length + ']'));
    det.appendChild(sum);
    const ul = document.createElement('ul');
    for (const [k2, v2] of Object.entries(value)) ul.appendChild(tree(v2, Array.isArray(value) ? '#' + k2 : k2));
    det.appendChild(ul);
    li.appendChild(det);
  } else {
    const k = document.createElement('span');
    k.className = 'key';
    k.textContent = key + ': ';
    li.appendChild(k);
    li.appendChild(document.createTextNode(String(value)));
  }
  return li;
}

async function inspect(file) {
  const out = $('inspect-result');
  out.textContent = 'Reading ' + file.name + '…';
  const r = await fetch('/v1/inspect', { method: 'POST', headers: headers({ 'Content-Type': 'application/octet-stream' }), body: file });
  const j = await r.json();
  out.textContent = '';
  if (!r.ok) { out.textContent = j.detail; return; }
  const ul = document.createElement('ul');
  ul.className = 'tree';
  ul.id = 'inspect-tree';
  ul.appendChild(tree(j));
  out.appendChild(ul);
}

const SVG = 'http://www.w3.org/2000/svg';
function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmtTime(ms) {
  if (ms === 0) return '0';
  const min = ms / 60000;
  if (min < 60) return '+' + min + ' min';
  const h = min / 60;
  return '+' + (Number.isInteger(h) ? h : h.toFixed(1)) + ' h';
}

async function drawSchedule() {
  const r = await fetch('/v1/schedule', { headers: headers() });
  if (!r.ok) return;
  const t = await r.json();
  const entries = t.entries || [];
  const times = [...new Set(entries.map((e) => e.at))].sort((a, b) => a - b);
  const W = 820; const H = 190; const x0 = 30; const x1 = W - 30;
  // Position by rank of distinct times (the gaps span minutes to a day): readable, in order.
  const xOf = (at) => x0 + (times.length < 2 ? 0 : (x1 - x0) * times.indexOf(at) / (times.length - 1));
  const svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'retry timeline', id: 'timeline-svg' });
  svg.appendChild(el('line', { x1: x0, y1: 70, x2: x1, y2: 70, stroke: '#9aa3af', 'stroke-width': 2 }));
  const perTime = {};
  for (const e of entries) {
    const x = xOf(e.at);
    const k = perTime[e.at] = (perTime[e.at] || 0) + 1;
    if (e.kind === 'attempt') {
      const ok = e.result && e.result.result !== 'failed';
      const c = el('circle', { cx: x, cy: 70 - (k - 1) * 12, r: 5, fill: ok ? '#1a7f37' : '#b3261e', class: 'attempt' });
      c.appendChild(el('title', {}, 'attempt ' + e.number + ' (' + (e.trigger && e.trigger.kind) + '): ' + (e.result ? e.result.result + ' ' + (e.result.code || '') : '')));
      svg.appendChild(c);
    } else {
      // Events at the same time stack downwards (and end-anchor at the right edge).
      const n = (perTime['ev' + e.at] = (perTime['ev' + e.at] || 0) + 1) - 1;
      svg.appendChild(el('rect', { x: x - 4, y: 82, width: 8, height: 8, fill: '#0b5cad' }));
      svg.appendChild(el('text', { x, y: 140 + n * 13, 'text-anchor': x > W - 80 ? 'end' : 'middle', class: 'event' },
        String(e.event || e.kind).replace(/_/g, ' ')));
    }
  }
  for (const at of times) {
    svg.appendChild(el('text', { x: xOf(at), y: 118, 'text-anchor': xOf(at) > W - 80 ? 'end' : 'middle' }, fmtTime(at)));
  }
  svg.appendChild(el('text', { x: x0, y: 18 }, 'red: failed attempt · green: applied · blue: device event (times after the first attempt)'));
  $('timeline').textContent = '';
  $('timeline').appendChild(svg);
}

function setFlow() {
  $('form').classList.toggle('cert', flow() === 'cert');
  validateSoon();
}

document.addEventListener('DOMContentLoaded', () => {
  $('token').value = sessionStorage.getItem('ppkg-token') || '';
  $('token').addEventListener('change', () => { sessionStorage.setItem('ppkg-token', $('token').value.trim()); validateSoon(); drawSchedule(); });
  document.querySelectorAll('input[name=flow]').forEach((r) => r.addEventListener('change', setFlow));
  $('form').addEventListener('input', (e) => { if (e.target.id !== 'pfx' && e.target.id !== 'pfx-password') validateSoon(); });
  $('form').addEventListener('change', (e) => { if (e.target.tagName === 'SELECT' || e.target.type === 'checkbox') validateSoon(); });
  $('pfx').addEventListener('change', readPfx);
  let pwTimer = null;
  $('pfx-password').addEventListener('input', () => { clearTimeout(pwTimer); pwTimer = setTimeout(fetchThumbprint, 300); });
  $('form').addEventListener('submit', build);
  const dz = $('dropzone');
  dz.addEventListener('dragover', (e) => { e.preventDefault(); dz.classList.add('over'); });
  dz.addEventListener('dragleave', () => dz.classList.remove('over'));
  dz.addEventListener('drop', (e) => { e.preventDefault(); dz.classList.remove('over'); if (e.dataTransfer.files[0]) inspect(e.dataTransfer.files[0]); });
  $('inspect-file').addEventListener('change', () => { if ($('inspect-file').files[0]) inspect($('inspect-file').files[0]); });
  setFlow();
  drawSchedule();
});
