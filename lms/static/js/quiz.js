// Quiz autosave: every change is sent at once; without a connection it waits in localStorage and is
// sent again when the phone is back online, so nothing answered is lost. The form still works without
// this script (each "Next" saves). Sequence numbers let the server ignore an older save that arrives late.
(function () {
  "use strict";
  var QUEUE_KEY = "kelas-imigrasi-quiz-saves";
  var status = document.getElementById("save-status");
  var form = document.getElementById("quiz-form");
  var submitForm = document.getElementById("quiz-submit");
  var timer = document.getElementById("quiz-timer");
  var messages = form || submitForm;
  function sayOn(element, name) {
    if (status && element && element.getAttribute("data-" + name)) status.textContent = element.getAttribute("data-" + name);
  }
  var sending = 0;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) return meta.getAttribute("content");
    var field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function say(name) {
    sayOn(messages, name);
  }

  // One entry per question of an attempt: the newest answer given on this phone, and whether the
  // server has confirmed it. Confirmed entries are kept, so a reload that races a save still shows it.
  function readQueue() {
    try {
      return JSON.parse(window.localStorage.getItem(QUEUE_KEY) || "[]");
    } catch (error) {
      return [];
    }
  }

  function writeQueue(queue) {
    try {
      window.localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
    } catch (error) {
      // Storage full or disabled: the save is still sent now, only not kept for later.
    }
  }

  function sameSlot(a, b) {
    return a.url === b.url && a.position === b.position;
  }

  function pending() {
    return readQueue().filter(function (item) {
      return !item.sent;
    });
  }

  function enqueue(item) {
    var queue = readQueue();
    var newer = queue.some(function (other) {
      return sameSlot(other, item) && other.sequence > item.sequence;
    });
    if (newer) return;
    queue = queue.filter(function (other) {
      return !sameSlot(other, item);
    });
    queue.push(item);
    writeQueue(queue);
  }

  function settle(item, keep) {
    writeQueue(
      readQueue()
        .map(function (other) {
          if (sameSlot(other, item) && other.sequence <= item.sequence) other.sent = true;
          return other;
        })
        .filter(function (other) {
          return keep || !(sameSlot(other, item) && other.sent);
        })
    );
  }

  function forgetAttempt(url) {
    writeQueue(
      readQueue().filter(function (other) {
        return other.url !== url;
      })
    );
  }

  function send(item) {
    sending += 1;
    return fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ position: item.position, choices: item.choices, sequence: item.sequence }),
    })
      .then(function (response) {
        if (response.ok) {
          settle(item, true);
          say("saved");
          return true;
        }
        if (response.status === 409) {
          // The attempt is finished (submitted elsewhere, or out of time): show its result.
          forgetAttempt(item.url);
          return response.json().then(function (data) {
            say("finished");
            if (data.result_url) window.location.assign(data.result_url);
            return false;
          });
        }
        if (response.status === 422 || response.status === 404 || response.status === 403) {
          settle(item, false); // it can never succeed; keeping it would retry forever
          return false;
        }
        say("offline"); // busy or unreachable server: keep it and try again
        return false;
      })
      .catch(function () {
        say("offline");
        return false;
      })
      .then(function (result) {
        sending -= 1;
        return result;
      });
  }

  function flush() {
    return Promise.all(pending().map(send)).then(function (results) {
      return results.every(Boolean);
    });
  }

  // Entries older than a month belong to attempts long finished.
  writeQueue(
    readQueue().filter(function (item) {
      return Date.now() - (item.time || 0) < 30 * 24 * 3600 * 1000;
    })
  );

  function chosen() {
    var numbers = [];
    form.querySelectorAll('input[name="choice"]').forEach(function (input) {
      if (input.checked) numbers.push(Number(input.value));
    });
    return numbers;
  }

  if (form && window.fetch && window.JSON) {
    var sequenceField = form.querySelector('input[name="sequence"]');
    var position = Number(form.getAttribute("data-position"));
    var url = form.getAttribute("action");

    // An answer given on this phone that is at least as new as what the server showed wins: restore it.
    readQueue().forEach(function (item) {
      if (item.url === url && item.position === position && item.sequence >= Number(sequenceField.value)) {
        form.querySelectorAll('input[name="choice"]').forEach(function (input) {
          input.checked = item.choices.indexOf(Number(input.value)) !== -1;
        });
        sequenceField.value = item.sequence + 1;
      }
    });

    form.addEventListener("change", function (event) {
      if (event.target.name !== "choice") return;
      var sequence = Number(sequenceField.value);
      sequenceField.value = sequence + 1; // the form's own save, if any, must be newer than this one
      var item = { url: url, position: position, choices: chosen(), sequence: sequence, sent: false, time: Date.now() };
      enqueue(item);
      say("saving");
      send(item);
    });

    form.addEventListener("submit", function (event) {
      if (!navigator.onLine) {
        event.preventDefault(); // the page would not load; the answer is safe in the queue
        say("offline");
      }
    });
  }

  if (submitForm && window.fetch) {
    submitForm.addEventListener("submit", function (event) {
      if (!pending().length) return;
      event.preventDefault(); // send the waiting answers first, so they are graded
      sayOn(submitForm, "wait");
      flush().then(function (allSent) {
        if (allSent && !pending().length) {
          submitForm.submit();
        } else {
          sayOn(submitForm, "offline");
        }
      });
    });
  }

  if (timer) {
    var secondsLeft = Number(timer.getAttribute("data-seconds-left"));
    var deadline = Date.now() + secondsLeft * 1000;
    var value = document.getElementById("quiz-timer-value");
    var tick = window.setInterval(function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      value.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left === 0) {
        window.clearInterval(tick);
        value.textContent = timer.getAttribute("data-time-up");
        flush().then(function () {
          var finish = document.createElement("form");
          finish.method = "post";
          finish.action = timer.getAttribute("data-submit-url");
          var token = document.createElement("input");
          token.type = "hidden";
          token.name = "csrf_token";
          token.value = csrfToken();
          finish.appendChild(token);
          document.body.appendChild(finish);
          finish.submit();
        });
      }
    }, 1000);
  }

  window.addEventListener("online", flush);
  window.setInterval(function () {
    if (pending().length && !sending) flush();
  }, 10000);
  if (pending().length) flush();
})();
