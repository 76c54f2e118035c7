// Show a Print button where a page is meant for paper (the browser's own Print works without it).
(function () {
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
