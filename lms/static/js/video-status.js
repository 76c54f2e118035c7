// Follows video conversion on the officer's page: polls the status endpoint and reloads when it ends.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-status-url]");
  if (!boxes.length || !window.fetch) return;
  function poll(box) {
    fetch(box.getAttribute("data-status-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) return setTimeout(function () { poll(box); }, 10000);
        if (state.status === "ready" || state.status === "failed") return window.location.reload();
        var bar = box.querySelector("progress"), percent = box.querySelector("[data-field=percent]");
        var status = box.querySelector("[data-field=status_text]"), eta = box.querySelector("[data-field=left]");
        if (bar) bar.value = state.percent;
        if (percent) percent.textContent = Math.round(state.percent) + "%";
        if (status) status.textContent = state.status_text;
        if (eta) eta.textContent = state.left_text || "";
        setTimeout(function () { poll(box); }, 3000);
      })
      .catch(function () { setTimeout(function () { poll(box); }, 10000); });
  }
  for (var i = 0; i < boxes.length; i++) poll(boxes[i]);
})();
