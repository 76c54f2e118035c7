// Offline certificate check: keeps the page cached by a service worker, verifies the QR code's
// Ed25519 signature against the published keys, and reads the revocation list. Signatures are
// checked with WebCrypto where it has Ed25519 (Chrome 137+), else with TweetNaCl.js, which the page
// loads only then (older Android WebViews, pages served without HTTPS). Written for old WebViews:
// ES5 with Promise, fetch and typed arrays. Without this script the server checks the form online.
(function () {
  "use strict";
  var form = document.getElementById("offline-check");
  if (!form) return;
  var data = form.dataset;
  var input = form.querySelector("[name=q]");
  var result = document.getElementById("offline-result");
  var state = document.getElementById("offline-state");
  var updated = document.getElementById("revocations-updated");
  var scanButton = document.getElementById("scan-button");
  var video = document.getElementById("scan-video");
  var lang = document.documentElement.lang || "id";
  var keys = null, revoked = null;
  // RFC 8032's first test public key: importing it shows whether WebCrypto knows Ed25519.
  var PROBE_KEY = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(data.serviceWorker, { scope: data.scope }).catch(function () {});
    navigator.serviceWorker.ready.then(function () { state.textContent = data.textReady; });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    });
  }

  var loaded = Promise.all([
    getJSON(data.keysUrl).then(function (document) {
      keys = {};
      (document.keys || []).forEach(function (key) { if (key.alg === "Ed25519") keys[key.kid] = key.public_key; });
    }).catch(function () {}),
    getJSON(data.revocationsUrl).then(function (list) {
      revoked = {};
      (list.revoked || []).forEach(function (entry) { revoked[entry.serial] = entry; });
      var when = new Date(list.updated);
      var text = isNaN(when) ? list.updated : new Intl.DateTimeFormat(lang, {
        year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit"
      }).format(when);
      updated.textContent = data.textUpdated.replace("{when}", text);
    }).catch(function () { updated.textContent = data.textNoList; })
  ]);

  function binaryBytes(binary) {
    var array = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) array[i] = binary.charCodeAt(i);
    return array;
  }

  function bytes(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
    return binaryBytes(atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4)));
  }

  function base64url(array) {
    var binary = "";
    for (var i = 0; i < array.length; i++) binary += String.fromCharCode(array[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function hex(array) {
    var text = "";
    for (var i = 0; i < array.length; i++) text += ("0" + array[i].toString(16)).slice(-2);
    return text;
  }

  // verifier resolves to a function (publicKey, signature, message) -> Promise of true or false.
  function webCryptoVerify(publicKey, signature, message) {
    return crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]).then(function (key) {
      return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    });
  }

  function naclVerify(publicKey, signature, message) {
    return Promise.resolve(window.nacl.sign.detached.verify(message, signature, publicKey));
  }

  function hasWebCryptoEd25519() {
    if (!(window.crypto && crypto.subtle)) return Promise.resolve(false);
    try {
      return crypto.subtle.importKey("raw", bytes(PROBE_KEY), { name: "Ed25519" }, false, ["verify"])
        .then(function () { return true; }, function () { return false; });
    } catch (error) { return Promise.resolve(false); }
  }

  function loadFallback() {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = data.fallbackUrl;
      script.addEventListener("load", function () {
        if (window.nacl && window.nacl.sign) resolve(naclVerify); else reject(new Error("no nacl"));
      });
      script.addEventListener("error", reject);
      document.head.appendChild(script);
    });
  }

  // Decided as the page opens, so that a phone needing the fallback fetches it while still online.
  var verifier = hasWebCryptoEd25519().then(function (has) { return has ? webCryptoVerify : loadFallback(); });

  // The token is the path after /v/, the t= parameter of /verify/<serial>, or the pasted code itself.
  function tokenFrom(text) {
    text = text.trim();
    var match = text.match(/\/v\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/) || text.match(/[?&]t=([^&#\s]+)/);
    if (match) return decodeURIComponent(match[1]);
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text) ? text : null;
  }

  function formatSerial(characters) {
    return "KI-" + characters.slice(0, 3) + "-" + characters.slice(3, 6) + "-" + characters.slice(6);
  }

  function formatDate(yyyymmdd) {
    var date = new Date(Date.UTC(+yyyymmdd.slice(0, 4), +yyyymmdd.slice(4, 6) - 1, +yyyymmdd.slice(6, 8)));
    return new Intl.DateTimeFormat(lang, { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" }).format(date);
  }

  // Returns the token's fields when its signature verifies, null when it does not, "unknown_key" when no key matches.
  function verify(token) {
    var parts = token.split(".");
    if (parts.length !== 2) return Promise.resolve(null);
    var payload, signature;
    try {
      payload = bytes(parts[0]);
      signature = bytes(parts[1]);
    } catch (error) { return Promise.resolve(null); }
    // Canonical base64url only: trailing bits that decoding ignores must not vary.
    if (base64url(payload) !== parts[0] || base64url(signature) !== parts[1]) return Promise.resolve(null);
    if (payload.length <= 5 || payload[0] !== 1 || signature.length !== 64) return Promise.resolve(null);
    var kid = hex(payload.subarray(1, 5));
    if (!keys || !keys[kid]) return Promise.resolve("unknown_key");
    // The signature covers the ASCII text of the base64url payload.
    var message = binaryBytes(parts[0]);
    return verifier
      .then(function (verifySignature) { return verifySignature(bytes(keys[kid]), signature, message); })
      .then(function (valid) {
        if (!valid) return null;
        var fields = new TextDecoder().decode(payload.subarray(5)).split("\x1f");
        if (fields.length !== 6) return null;
        return { serial: formatSerial(fields[0]), issuedOn: fields[1], courseSlug: fields[2],
                 holderName: fields[3], courseTitle: fields[4], officeName: fields[5] };
      });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(outcome, heading, lines, facts) {
    var box = element("section", "verify-result " + outcome);
    box.appendChild(element("h2", null, heading));
    lines.forEach(function (line) { if (line) box.appendChild(element("p", null, line)); });
    if (facts) {
      var list = element("dl", "facts");
      facts.forEach(function (fact) {
        list.appendChild(element("dt", null, fact[0]));
        list.appendChild(element("dd", null, fact[1]));
      });
      box.appendChild(list);
    }
    while (result.firstChild) result.removeChild(result.firstChild);
    result.appendChild(box);
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  function check(text) {
    var token = tokenFrom(text);
    if (!token) {
      if (!text.trim()) return show("invalid", data.textEmpty, []);
      // A serial number typed by hand is looked up online: only the QR code carries a signature.
      if (navigator.onLine === false) return show("unknown", data.textSerialOffline, []);
      return form.submit();
    }
    return loaded.then(function () { return verify(token); }).then(function (fields) {
      if (fields === "unknown_key") return show("invalid", data.textInvalid, [data.textUnknownKey]);
      if (!fields) return show("invalid", data.textInvalid, [data.textInvalidAdvice]);
      var entry = revoked && revoked[fields.serial];
      var note = entry ? data.textRevoked.replace("{date}", formatDate(entry.revoked_on.replace(/-/g, ""))) + " " + entry.reason
        : (revoked ? data.textNotRevoked : data.textNoList);
      show(entry ? "revoked" : "valid", data.textValid, [note], [
        [data.labelHolder, fields.holderName],
        [data.labelCourse, fields.courseTitle],
        [data.labelDate, formatDate(fields.issuedOn)],
        [data.labelOffice, fields.officeName],
        [data.labelSerial, fields.serial]
      ]);
    });
  }

  var supported = window.Promise && window.fetch && window.Uint8Array && window.TextDecoder;
  form.addEventListener("submit", function (event) {
    if (!supported) return;
    event.preventDefault();
    check(input.value).catch(function () { state.textContent = data.textUnsupported; form.submit(); });
  });

  // Reading the QR code with the camera, where the browser can decode barcodes itself.
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  scanButton.hidden = false;
  scanButton.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      function stop() {
        stream.getTracks().forEach(function (track) { track.stop(); });
        video.hidden = true;
      }
      function scan() {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stop();
            input.value = codes[0].rawValue;
            check(input.value);
          } else {
            setTimeout(scan, 300);
          }
        }).catch(function () { setTimeout(scan, 500); });
      }
      scan();
    }).catch(function () { state.textContent = data.textCameraFailed; });
  });
})();
