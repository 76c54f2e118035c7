// Follows a background job (a bulk certificate print, an export, a roster save): polls its status, shows the
// percentage; reloads when it ends.
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box || !window.fetch) return;
  function show(name, text) {
    var field = box.querySelector("[data-field=" + name + "]");
    if (field) field.textContent = text;
  }
  function poll() {
    fetch(box.getAttribute("data-status-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) return setTimeout(poll, 10000);
        if (state.status === "done" || state.status === "failed") return window.location.reload();
        box.querySelector("progress").value = state.percent;
        show("status_text", state.status_text);
        show("percent", Math.round(state.percent));
        show("progress_text", state.progress_text);
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 10000); });
  }
  setTimeout(poll, 1000);
})();
