// machi's page script: draws the project page's charts from the same JSON
// the API serves (GET /api/v1/projects/{id}/evaluation), with Chart.js
// vendored under /static/vendor. No inline scripts (the Content-Security-
// Policy forbids them); settings come from data- attributes.
(function () {
  'use strict';

  var FONT = '"Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic", "Meiryo", system-ui, sans-serif';
  // Shades per kind of funding: subsidies green, own funds blue, debt
  // orange/purple…; several sources of one kind take successive shades.
  var KIND_COLOURS = {
    'subsidy': ['#2e7d32', '#66bb6a', '#1b5e20', '#a5d6a7'],
    'own-funds': ['#1565c0', '#64b5f6', '#0d47a1', '#90caf9'],
    'loan': ['#ef6c00', '#ffa726', '#e65100'],
    'bond': ['#6a1b9a', '#ab47bc'],
    'equity': ['#00838f', '#4dd0e1'],
    'crowdfunding': ['#ad1457', '#f06292'],
    'donation': ['#f9a825', '#fdd835']
  };
  var OTHER_COLOURS = ['#546e7a', '#8d6e63', '#5c6bc0'];

  function ready(fn) {
    if (document.readyState !== 'loading') { fn(); } else { document.addEventListener('DOMContentLoaded', fn); }
  }

  // Thousands of yen with separators, as the statement table shows them.
  // Thousands of yen; `-0` shows as 0.
  function sen(v) {
    var k = Math.round(v / 1000);
    return (k === 0 ? 0 : k).toLocaleString('ja-JP');
  }
  // Axis ticks in thousands of yen: a tick that is not a whole thousand
  // (Chart.js picks 0.1, 0.2, … for an all-zero chart) gets no label rather
  // than a row of zeros.
  function senTick(v) {
    return v % 1000 === 0 ? sen(v) : '';
  }
  function yen(v) {
    return (v < 0 ? '-¥' : '¥') + Math.abs(v).toLocaleString('ja-JP');
  }

  // Vertical markers (the funding cliff, the last subsidy year).
  var markers = {
    id: 'machiMarkers',
    afterDatasetsDraw: function (chart, _args, opts) {
      var lines = (opts && opts.lines) || [];
      var ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x;
      lines.forEach(function (m) {
        var px = x.getPixelForValue(m.index);
        ctx.save();
        ctx.strokeStyle = m.colour;
        ctx.lineWidth = 2;
        ctx.setLineDash(m.dash || []);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.font = 'bold 12px ' + FONT;
        var w = ctx.measureText(m.label).width;
        var tx = px + 4 + w > area.right ? px - 4 - w : px + 4;
        var ty = area.top + 14 + (m.row || 0) * 18;
        // A light box keeps the label readable over the line.
        ctx.fillStyle = 'rgba(255,255,255,0.85)';
        ctx.fillRect(tx - 2, ty - 12, w + 4, 16);
        ctx.fillStyle = m.colour;
        ctx.fillText(m.label, tx, ty);
        ctx.restore();
      });
    }
  };

  function baseOptions(cfg, stacked) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { stacked: stacked, ticks: { maxRotation: 60, autoSkip: true } },
        y: {
          stacked: stacked,
          title: { display: true, text: cfg.t.unit },
          ticks: { callback: function (v) { return senTick(v); } }
        }
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: function (c) { return c.dataset.label + ': ' + yen(c.parsed.y); }
          }
        }
      }
    };
  }

  // A chart's canvas: `data-chart` (the model editor's fragment, whose
  // canvases carry no id so that htmx does not carry Chart.js's inline
  // sizes over to the new ones) or the project page's `#chart-…`.
  function canvas(el, name) {
    return el.querySelector('canvas[data-chart="' + name + '"]') || el.querySelector('#chart-' + name);
  }

  function draw(el, cfg, data) {
    var Chart = window.Chart;
    if (!Chart) { return fail(el, cfg); }
    Chart.defaults.font.family = FONT;
    var years = data.statement.map(function (r) { return r.fiscal_year; });
    var labels = years.map(function (y) { return cfg.labels[y] || y; });
    var name = function (r) { return cfg.en ? (r.name_en || r.name_ja) : r.name_ja; };

    // 1. Funding sources by fiscal year (stacked bars).
    var used = {};
    var funding = data.funding
      .filter(function (f) { return f.amounts.some(function (a) { return a !== 0; }); })
      .map(function (f) {
        var shades = KIND_COLOURS[f.kind] || OTHER_COLOURS;
        var n = used[f.kind] = (used[f.kind] || 0) + 1;
        return {
          label: name(f),
          data: f.amounts,
          backgroundColor: shades[(n - 1) % shades.length],
          stack: 'funding'
        };
      });
    new Chart(canvas(el, 'funding'), {
      type: 'bar',
      data: { labels: labels, datasets: funding },
      options: baseOptions(cfg, true)
    });

    // 2. Revenue and savings against running cost.
    var col = function (k) { return data.statement.map(function (r) { return r[k]; }); };
    var ops = baseOptions(cfg, false);
    ops.scales.x.stacked = true;
    ops.scales.y.stacked = false;
    new Chart(canvas(el, 'operations'), {
      type: 'bar',
      data: {
        labels: labels,
        datasets: [
          { label: cfg.t.revenue, data: col('revenue'), backgroundColor: '#1976d2', stack: 'in' },
          { label: cfg.t.savings, data: col('savings'), backgroundColor: '#64b5f6', stack: 'in' },
          { type: 'line', label: cfg.t.opex, data: col('opex'), borderColor: '#c62828', backgroundColor: '#c62828', borderWidth: 2, pointRadius: 2, tension: 0 }
        ]
      },
      options: ops
    });

    // 3. Cumulative cash with the funding cliff marked.
    var cum = col('cumulative_cash');
    var lines = [];
    var last = data.cliff && data.cliff.last_subsidy_year;
    var cliff = data.cliff && data.cliff.cliff_year;
    if (last && years.indexOf(last) >= 0) {
      lines.push({ index: years.indexOf(last), colour: '#2e7d32', dash: [6, 4], label: cfg.t.last_subsidy + ' ' + (cfg.labels[last] || last), row: 0 });
    }
    if (cliff && years.indexOf(cliff) >= 0) {
      lines.push({ index: years.indexOf(cliff), colour: '#c62828', label: cfg.t.cliff + ' ' + (cfg.labels[cliff] || cliff), row: 1 });
    }
    var cash = baseOptions(cfg, false);
    cash.plugins.machiMarkers = { lines: lines };
    new Chart(canvas(el, 'cash'), {
      type: 'line',
      data: {
        labels: labels,
        datasets: [{
          label: cfg.t.cumulative,
          data: cum,
          borderColor: '#37474f',
          backgroundColor: 'rgba(55,71,79,0.12)',
          fill: 'origin',
          tension: 0,
          pointRadius: 3,
          pointBackgroundColor: cum.map(function (v) { return v < 0 ? '#c62828' : '#37474f'; })
        }]
      },
      options: cash,
      plugins: [markers]
    });
    el.setAttribute('data-drawn', 'done');
  }

  function fail(el, cfg) {
    var p = document.createElement('p');
    p.className = 'alert';
    p.textContent = cfg.t.failed;
    el.appendChild(p);
  }

  function initCharts(el) {
    if (el.getAttribute('data-drawn')) { return; }
    el.setAttribute('data-drawn', 'pending');
    var cfg = JSON.parse(el.getAttribute('data-config'));
    // The model editor's preview carries the (unsaved) evaluation inline,
    // in the same JSON the API serves; the project page fetches it.
    var inline = el.getAttribute('data-evaluation-json');
    if (inline) {
      var now = function () {
        try { draw(el, cfg, JSON.parse(inline)); } catch (_e) { fail(el, cfg); }
      };
      // Chart.js is a deferred script after this one: on the first load it
      // may not have run yet.
      if (window.Chart || document.readyState === 'complete') { now(); } else { window.addEventListener('load', now, { once: true }); }
      return;
    }
    fetch(el.getAttribute('data-evaluation'), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) { draw(el, cfg, data); })
      .catch(function () { fail(el, cfg); });
  }

  function init(root) {
    root.querySelectorAll('.charts[data-evaluation], .charts[data-evaluation-json]').forEach(initCharts);
  }

  // The model editor: mark the cells the preview found wrong (the fragment
  // lists them as field name → message), clearing the marks of cells that
  // are right again. The server renders the same marks on a full page.
  function markCells(results) {
    var form = document.getElementById('model-form');
    var holder = results.querySelector('[data-cell-errors]');
    if (!form || !holder) { return; }
    var errors = {};
    try { errors = JSON.parse(holder.getAttribute('data-cell-errors') || '{}'); } catch (_e) { errors = {}; }
    form.querySelectorAll('small.cell-error[data-for]').forEach(function (s) { s.remove(); });
    form.querySelectorAll('[aria-invalid="true"]').forEach(function (i) { i.removeAttribute('aria-invalid'); });
    Object.keys(errors).forEach(function (name) {
      var input = form.querySelector('[name="' + name.replace(/"/g, '') + '"]');
      if (!input) { return; }
      input.setAttribute('aria-invalid', 'true');
      var note = document.createElement('small');
      note.className = 'cell-error';
      note.setAttribute('data-for', name);
      note.textContent = errors[name];
      input.insertAdjacentElement('afterend', note);
    });
  }

  // Cells typed over (compared with the page as loaded) are marked, so an
  // edited generated year shows that it will be saved as an explicit amount.
  document.addEventListener('input', function (e) {
    var t = e.target;
    if (t && t.matches && t.matches('.model-form input.amount')) {
      t.classList.toggle('edited', t.value !== t.defaultValue);
    }
  });

  // Arrow up/down, Enter and Shift+Enter move between the same column of
  // neighbouring rows of a model table, as in a spreadsheet (the preview
  // runs as you type, so Enter need not submit anything).
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    var up = e.key === 'ArrowUp' || (e.key === 'Enter' && e.shiftKey);
    var down = e.key === 'ArrowDown' || (e.key === 'Enter' && !e.shiftKey);
    if (!(up || down) || e.altKey || e.ctrlKey || e.metaKey || e.isComposing) { return; }
    if (!t || !t.matches || !t.matches('table.model input:not([type=checkbox])')) { return; }
    if (e.key === 'Enter') { e.preventDefault(); }
    var cell = t.closest('td, th');
    var row = cell && cell.parentElement;
    if (!row) { return; }
    var index = Array.prototype.indexOf.call(row.children, cell);
    var next = up ? row.previousElementSibling : row.nextElementSibling;
    while (next) {
      var target = next.children[index] && next.children[index].querySelector('input:not([type=hidden]):not([type=checkbox])');
      if (target) {
        e.preventDefault();
        target.focus();
        if (target.select) { target.select(); }
        return;
      }
      next = up ? next.previousElementSibling : next.nextElementSibling;
    }
  });

  ready(function () { init(document); });

  // Forms that change something irreversibly-looking ask first (the
  // Content-Security-Policy forbids inline onsubmit handlers).
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var msg = form && form.getAttribute && form.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  });
  // Fragments swapped in by htmx (e.g. a recalculated evaluation) get their
  // charts too.
  document.addEventListener('htmx:afterSettle', function (e) {
    if (e.target && e.target.querySelectorAll) { init(e.target); }
    var results = document.getElementById('model-results');
    if (results && (e.target === results || e.target.contains(results) || results.contains(e.target))) {
      init(results);
      markCells(results);
    }
  });
  // Charts about to be swapped out are destroyed (Chart.js keeps a registry
  // of its charts; a canvas that leaves the page would stay in it).
  document.addEventListener('htmx:beforeSwap', function (e) {
    var Chart = window.Chart;
    var target = e.detail && e.detail.target;
    if (!Chart || !Chart.getChart || !target || !target.querySelectorAll) { return; }
    target.querySelectorAll('canvas').forEach(function (c) {
      var chart = Chart.getChart(c);
      if (chart) { chart.destroy(); }
    });
  });
  // A character counter under each textarea that has a limit: "123 / 4,000".
  // The server enforces the same limits (project validation).
  ready(function () {
    var areas = document.querySelectorAll('textarea[maxlength]');
    Array.prototype.forEach.call(areas, function (area) {
      var max = parseInt(area.getAttribute('maxlength'), 10);
      var counter = document.createElement('small');
      counter.className = 'counter';
      counter.setAttribute('aria-live', 'polite');
      var show = function () {
        var n = Array.from(area.value).length;
        counter.textContent = n.toLocaleString('ja-JP') + ' / ' + max.toLocaleString('ja-JP');
        counter.classList.toggle('full', n >= max);
      };
      area.addEventListener('input', show);
      area.insertAdjacentElement('afterend', counter);
      show();
    });
  });
  // A refused save comes back with its cells marked: bring the first one
  // into view (the grid scrolls sideways over 10–20 fiscal years) and put
  // the cursor in it.
  ready(function () {
    var form = document.getElementById('model-form');
    var first = form && form.querySelector('[aria-invalid="true"]');
    if (first) {
      first.scrollIntoView({ block: 'center', inline: 'center' });
      first.focus({ preventScroll: true });
    }
  });
})();
