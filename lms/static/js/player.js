// Lesson video: native HLS where the browser has it (else MP4), the lightest picture on slow or data-saver
// connections, a quality switch with an audio-only choice, and the position saved to the server.
(function () {
  "use strict";
  var HLS = "application/vnd.apple.mpegurl";
  var SAVE_EVERY_MS = 10000;

  function slowConnection() {
    var connection = navigator.connection || navigator.mozConnection || navigator.webkitConnection;
    if (!connection) return false;
    return !!connection.saveData || /^(slow-2g|2g|3g)$/.test(connection.effectiveType || "");
  }

  function setup(figure) {
    var video = figure.querySelector("video");
    if (!video) return;
    var nativeHls = !!video.canPlayType(HLS);
    var radios = figure.querySelectorAll(".quality input");
    var switcher = figure.querySelector(".quality");

    function load(src, type) {
      var time = video.currentTime, playing = !video.paused;
      var sources = video.querySelectorAll("source");
      for (var i = 0; i < sources.length; i++) sources[i].parentNode.removeChild(sources[i]);
      var source = document.createElement("source");
      source.src = src;
      source.type = type;
      video.insertBefore(source, video.firstChild);
      video.load();
      if (time > 0 || playing) {
        video.addEventListener("loadedmetadata", function once() {
          video.removeEventListener("loadedmetadata", once);
          if (time > 0) video.currentTime = time;
          if (playing) video.play();
        });
      }
    }

    function choose(radio) {
      figure.setAttribute("data-quality", radio.value);
      video.classList.toggle("audio-only", radio.value === "audio");
      if (nativeHls) load(radio.getAttribute("data-hls"), HLS);
      else load(radio.getAttribute("data-mp4"), radio.value === "audio" ? "audio/mp4" : "video/mp4");
    }

    if (radios.length) {
      switcher.hidden = false;
      for (var i = 0; i < radios.length; i++) {
        radios[i].addEventListener("change", function (event) { if (event.target.checked) choose(event.target); });
      }
    }
    // Nothing is fetched before the learner presses play (Chromium's own HLS reads playlists and a first
    // segment as soon as it gets an address, whatever preload says): the rendition is chosen at the first play.
    var firstPlay = null;
    if (slowConnection() && radios.length) {
      radios[0].checked = true;  // the lightest rendition is listed first
      firstPlay = function () { choose(radios[0]); };
    } else if (nativeHls) {
      firstPlay = function () { load(figure.getAttribute("data-master"), HLS); };  // it adapts by itself
    }
    if (firstPlay) {
      video.addEventListener("play", function started() {
        video.removeEventListener("play", started);
        if (figure.getAttribute("data-quality") === null) firstPlay();  // unless a quality was picked already
      });
    }

    // The server counts what was watched at no more than this speed; faster playback would not count.
    var maxRate = parseFloat(figure.getAttribute("data-max-rate")) || 2;
    video.addEventListener("ratechange", function () {
      if (video.playbackRate > maxRate) video.playbackRate = maxRate;
    });

    // Position: restored from the server (any device), saved every few seconds and when the page goes away.
    var saved = parseFloat(figure.getAttribute("data-position")) || 0;
    var duration = parseFloat(figure.getAttribute("data-duration")) || 0;
    video.addEventListener("loadedmetadata", function restore() {
      video.removeEventListener("loadedmetadata", restore);
      if (saved > 1 && (!duration || saved < duration - 3)) video.currentTime = saved;
    });
    var url = figure.getAttribute("data-position-url");
    if (!url) return;
    var token = figure.getAttribute("data-csrf");
    var lastSent = -1;
    function save(leaving) {
      var position = Math.floor(video.currentTime * 10) / 10;
      if (!(position > 0) || position === lastSent) return;
      lastSent = position;
      var body = JSON.stringify({ position: position, duration: video.duration || duration });
      if (window.fetch) {
        fetch(url, {
          method: "POST", keepalive: true, credentials: "same-origin", body: body,
          headers: { "Content-Type": "application/json", "X-CSRFToken": token }
        }).catch(function () { lastSent = -1; });
      } else if (leaving && navigator.sendBeacon) {
        var form = new FormData();
        form.append("csrf_token", token);
        form.append("position", position);
        navigator.sendBeacon(url, form);
      }
    }
    var timer = null;
    video.addEventListener("play", function () { timer = timer || setInterval(function () { save(false); }, SAVE_EVERY_MS); });
    video.addEventListener("pause", function () { clearInterval(timer); timer = null; save(false); });
    video.addEventListener("ended", function () { save(false); });
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") save(true); });
    window.addEventListener("pagehide", function () { save(true); });
  }

  var figures = document.querySelectorAll("figure.player");
  for (var i = 0; i < figures.length; i++) setup(figures[i]);
})();
