// Service worker of the offline certificate check (served at /verify/sw.js, scope /verify/).
// The server prepends PRECACHE (the page, its script and style, the public keys, the revocation
// list) and CACHE (a name that changes with them). The page and the lists are fetched from the
// network when it answers in time, so they stay fresh online, and from the cache otherwise.
/* global PRECACHE, CACHE */
"use strict";

var NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PRECACHE);
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
  } else if (PRECACHE.indexOf(path) > 0 && url.pathname.indexOf("/static/") === 0) {
    // Static files carry their content hash: the cached copy is the right one.
    event.respondWith(cached(path).then(function (response) { return response || fetch(request); }));
  } else if (PRECACHE.indexOf(path) > 0) {
    event.respondWith(networkFirst(request, path));
  }
});
