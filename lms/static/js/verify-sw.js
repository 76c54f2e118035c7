// Service worker of the offline certificate check (served at /verify/sw.js, scope /verify/).
// The server prepends PRECACHE (the page, its script and style, the public keys, the revocation
// list), FALLBACK (the Ed25519 script for browsers whose WebCrypto lacks it) and CACHE (a name
// that changes with them). The page and the lists are fetched from the network when it answers in
// time, so they stay fresh online, and from the cache otherwise. The fallback is cached at install
// only where this browser lacks Ed25519, and otherwise when the page first loads it.
/* global PRECACHE, FALLBACK, CACHE */
"use strict";

var NETWORK_TIMEOUT_MS = 4000;
// RFC 8032's first test public key: importing it shows whether WebCrypto knows Ed25519.
var PROBE_KEY = new Uint8Array([
  215, 90, 152, 1, 130, 177, 10, 183, 213, 75, 254, 211, 201, 100, 7, 58,
  14, 225, 114, 243, 218, 166, 35, 37, 175, 2, 26, 104, 247, 7, 81, 26
]);

function hasWebCryptoEd25519() {
  try {
    return self.crypto.subtle.importKey("raw", PROBE_KEY, { name: "Ed25519" }, false, ["verify"])
      .then(function () { return true; }, function () { return false; });
  } catch (error) { return Promise.resolve(false); }
}

self.addEventListener("install", function (event) {
  event.waitUntil(Promise.all([caches.open(CACHE), hasWebCryptoEd25519()]).then(function (opened) {
    return opened[0].addAll(opened[1] ? PRECACHE : PRECACHE.concat([FALLBACK]));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("verify-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function cached(key) {
  return caches.open(CACHE).then(function (cache) { return cache.match(key); });
}

function cacheFirst(request, key) {
  return cached(key).then(function (response) {
    return response || fetch(request).then(function (fresh) {
      if (fresh.ok) {
        var copy = fresh.clone();
        caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
      }
      return fresh;
    });
  });
}

function networkFirst(request, key) {
  var network = fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  });
  var timeout = new Promise(function (resolve) { setTimeout(resolve, NETWORK_TIMEOUT_MS); });
  return Promise.race([network, timeout.then(function () { return cached(key); })])
    .then(function (response) { return response || network; })
    .catch(function () { return cached(key); })
    .then(function (response) { return response || network; });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var path = url.pathname + url.search;
  if (request.mode === "navigate" && url.pathname === PRECACHE[0]) {
    event.respondWith(networkFirst(request, PRECACHE[0]));
  } else if ((PRECACHE.indexOf(path) > 0 || path === FALLBACK) && url.pathname.indexOf("/static/") === 0) {
    // Static files carry their content hash: the cached copy is the right one.
    event.respondWith(cacheFirst(request, path));
  } else if (PRECACHE.indexOf(path) > 0) {
    event.respondWith(networkFirst(request, path));
  }
});
