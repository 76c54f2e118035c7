// Search villages as the person types, without reloading the sign-up page.
(function () {
  var picker = document.querySelector(".village-picker");
  if (!picker || !window.fetch) return;
  var input = picker.querySelector("#village_query");
  var results = picker.querySelector(".village-results");
  var url = picker.getAttribute("data-search-url");
  var timer = null;
  function render(regions) {
    results.textContent = "";
    regions.forEach(function (region) {
      var row = document.createElement("div");
      row.className = "field check";
      var radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "village_code";
      radio.value = region.code;
      radio.id = "village-" + region.code;
      var label = document.createElement("label");
      label.htmlFor = radio.id;
      label.textContent = region.full_name;
      row.appendChild(radio);
      row.appendChild(label);
      results.appendChild(row);
    });
  }
  function search() {
    var query = input.value.trim();
    if (query.length < 2) return;
    fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(render)
      .catch(function () { /* offline: the Search button still works */ });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 300);
  });
})();
