/* OpenAML console: live statuses, charts (plotly.js, served by this server), the cut-off slider. */
(function () {
  "use strict";

  var POLL_MS = 3000;
  var FINAL = { COMPLETED: true, FAILED: true, DELETED: true, NOTFOUND: true };

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  /* --- deletions ask first -------------------------------------------------------------------- */
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.form.addEventListener("submit", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  /* --- live statuses ---------------------------------------------------------------------------- */
  function liveReferences() {
    var refs = {};
    document.querySelectorAll("[data-live]").forEach(function (element) {
      if (!FINAL[element.textContent.trim()]) { refs[element.getAttribute("data-live")] = true; }
    });
    var watched = document.body.getAttribute("data-reload-when-done");
    if (watched) { refs[watched] = true; }
    return Object.keys(refs);
  }

  function applyState(state) {
    document.querySelectorAll("[data-live]").forEach(function (element) {
      if (element.getAttribute("data-live") !== state.ref || !state.status) { return; }
      var isEndpoint = element.closest("#endpoint") !== null;
      var value = isEndpoint ? state.endpointStatus : state.status;
      if (!value) { return; }
      element.textContent = value;
      element.className = "status s-" + value;
    });
    document.querySelectorAll("[data-live-message]").forEach(function (element) {
      if (element.getAttribute("data-live-message") === state.ref && state.message !== undefined) {
        element.textContent = state.message;
      }
    });
  }

  function poll() {
    var refs = liveReferences();
    if (refs.length === 0) { return; }
    var query = refs.map(function (ref) { return "r=" + encodeURIComponent(ref); }).join("&");
    fetch("/console/api/status?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (!body) { return; }
        var watched = document.body.getAttribute("data-reload-when-done");
        var reload = false;
        body.resources.forEach(function (state) {
          applyState(state);
          var endpointSettled = state.endpointStatus === undefined || state.endpointStatus !== "UPDATING";
          if (state.ref === watched && FINAL[state.status] && endpointSettled) { reload = true; }
        });
        if (reload) { window.location.reload(); }
      })
      .catch(function () { /* the next poll tries again */ })
      .finally(function () { window.setTimeout(poll, POLL_MS); });
  }
  window.setTimeout(poll, POLL_MS);

  /* --- charts ---------------------------------------------------------------------------------- */
  var figures = readJson("figures") || {};
  var plotConfig = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

  /* On a narrow screen category labels are cut shorter (hover shows them whole) and the heat map's
     cell texts, which would overlap, are left to the hover and the table beside it. */
  var NARROW_PX = 450;
  var NARROW_LABEL_CHARACTERS = 12;

  function shorten(label) {
    return label.length <= NARROW_LABEL_CHARACTERS ? label : label.slice(0, NARROW_LABEL_CHARACTERS - 1) + "\u2026";
  }

  function layoutFor(element, figure) {
    if (element.clientWidth >= NARROW_PX) { return figure.layout; }
    var layout = JSON.parse(JSON.stringify(figure.layout));
    ["xaxis", "yaxis"].forEach(function (name) {
      var axis = layout[name];
      var labels = axis && axis.type === "category" && (axis.tickvals || (figure.data[0] || {})[name.charAt(0)]);
      if (!labels) { return; }
      labels = labels.map(String);
      var text = labels.map(shorten);
      if (new Set(text).size !== new Set(labels).size) { return; }
      axis.tickmode = "array";
      axis.tickvals = labels;
      axis.ticktext = text;
    });
    if (figure.data[0] && figure.data[0].type === "heatmap") { layout.annotations = []; }
    return layout;
  }

  function draw(element, figure) {
    if (!window.Plotly || !figure) { return; }
    element.drawnFigure = figure;
    element.drawnNarrow = element.clientWidth < NARROW_PX;
    window.Plotly.react(element, figure.data, layoutFor(element, figure), plotConfig);
  }

  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () {
      document.querySelectorAll(".chart").forEach(function (element) {
        if (element.drawnFigure && element.drawnNarrow !== (element.clientWidth < NARROW_PX)) {
          draw(element, element.drawnFigure);
        }
      });
    }, 150);
  });

  document.querySelectorAll("[data-figure]").forEach(function (element) {
    draw(element, figures[element.getAttribute("data-figure")]);
  });

  document.querySelectorAll("select[data-figure-select]").forEach(function (select) {
    var target = document.getElementById(select.getAttribute("data-figure-select"));
    var group = figures[target.getAttribute("data-figure-group")] || {};
    function show() { draw(target, group[select.value]); }
    select.addEventListener("change", show);
    document.querySelectorAll("[data-show-attribute]").forEach(function (button) {
      button.addEventListener("click", function () {
        select.value = button.getAttribute("data-show-attribute");
        show();
        target.scrollIntoView({ behavior: "smooth", block: "center" });
      });
    });
    show();
  });

  /* --- the score cut-off ------------------------------------------------------------------------- */
  var table = readJson("cutoff-table");
  var slider = document.querySelector("[data-cutoff-slider]");
  var number = document.querySelector("[data-cutoff-value]");
  if (table && slider && number) {
    var format = function (value) {
      if (value === null || value === undefined) { return "—"; }
      return Number.isInteger(value) ? value.toLocaleString("en") : Number(value).toPrecision(4);
    };
    var nearest = function (cutoff) {
      var best = 0;
      table.threshold.forEach(function (t, i) {
        if (Math.abs(t - cutoff) < Math.abs(table.threshold[best] - cutoff)) { best = i; }
      });
      return best;
    };
    var chartOf = function (name) { return document.querySelector('[data-figure="' + name + '"]'); };
    var moveMarker = function (name, x, y) {
      var element = chartOf(name);
      var figure = figures[name];
      if (!element || !figure || !window.Plotly || x === null || y === null) { return; }
      var index = figure.data.length - 1;
      if (figure.data[index].name !== "cut-off") { return; }
      window.Plotly.restyle(element, { x: [[x]], y: [[y]] }, [index]);
    };
    var update = function (cutoff, source) {
      var i = nearest(cutoff);
      if (source !== slider) { slider.value = table.threshold[i]; }
      if (source !== number) { number.value = table.threshold[i].toFixed(2); }
      document.querySelectorAll("[data-cutoff-metric]").forEach(function (cell) {
        var column = table[cell.getAttribute("data-cutoff-metric")];
        cell.textContent = format(column ? column[i] : null);
      });
      var histogram = chartOf("scores");
      if (histogram && window.Plotly && histogram.data) {
        window.Plotly.relayout(histogram, { "shapes[0].x0": table.threshold[i], "shapes[0].x1": table.threshold[i] });
      }
      moveMarker("roc", table.fpr[i], table.recall[i]);
      moveMarker("pr", table.recall[i], table.precision[i]);
    };
    slider.addEventListener("input", function () { update(Number(slider.value), slider); });
    number.addEventListener("input", function () {
      var value = Number(number.value);
      if (number.value !== "" && value >= 0 && value <= 1) { update(value, number); }
    });
  }

  /* --- the training form suggests the model type of the chosen datasource's target ---------------- */
  document.querySelectorAll("select[data-suggests-type]").forEach(function (select) {
    var typeSelect = document.getElementById(select.getAttribute("data-suggests-type"));
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var suggested = option ? option.getAttribute("data-model-type") : "";
      if (suggested) { typeSelect.value = suggested; }
    });
  });
})();
