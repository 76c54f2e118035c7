// Follows a bulk certificate print: polls its status and shows the progress; reloads when it ends.
(function () {
  "use strict";
  var box = document.getElementById("print-progress");
  if (!box || !window.fetch) return;
  function poll() {
    fetch(box.getAttribute("data-status-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) return setTimeout(poll, 10000);
        if (state.status === "done" || state.status === "failed") return window.location.reload();
        box.querySelector("progress").value = state.percent;
        box.querySelector("[data-field=status_text]").textContent = state.status_text;
        box.querySelector("[data-field=progress_text]").textContent = state.progress_text;
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 10000); });
  }
  setTimeout(poll, 1000);
})();
