// GoHumanLoop inbox: live updates (server-sent events), deadline countdowns, and a JSON check
// for edited arguments. Pages work without it; it only saves reloading.
(function () {
  "use strict";

  function countdowns(root) {
    root.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var left = Math.round((Number(el.dataset.deadline) - Date.now()) / 1000);
      if (left <= 0) { el.textContent = "0s"; el.classList.add("over"); return; }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = (el.dataset.prefix || "") + " " + (h ? h + "h " : "") + (h || m ? m + "m " : "") + s + "s";
    });
  }

  function checkArguments() {
    var area = document.getElementById("arguments");
    if (!area) return;
    var note = document.getElementById("arguments-check");
    var button = document.getElementById("approve");
    var check = function () {
      try {
        JSON.parse(area.value);
        area.classList.remove("invalid");
        note.hidden = true;
        button.disabled = false;
      } catch (e) {
        area.classList.add("invalid");
        note.textContent = area.dataset.invalid + ": " + e.message;
        note.hidden = false;
        button.disabled = true;
      }
    };
    area.addEventListener("input", check);
    // Arguments the original Python client sent as text may not be JSON: check only on edit.
  }

  var refreshing = false, again = false;
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        var live = document.getElementById("live");
        var typing = live && document.activeElement && live.contains(document.activeElement) &&
          /TEXTAREA|INPUT/.test(document.activeElement.tagName) && document.activeElement.value;
        if (fresh && live && !typing) {
          live.replaceWith(fresh);
          countdowns(fresh);
          checkArguments();
        }
      })
      .catch(function () {})
      .finally(function () {
        refreshing = false;
        if (again) { again = false; setTimeout(refresh, 100); }
      });
  }

  function listen() {
    var live = document.getElementById("live");
    if (!live || !window.EventSource) return;
    var dot = document.getElementById("live-dot");
    var source = new EventSource("/inbox/events");
    var timer = null;
    source.onopen = function () { if (dot) dot.hidden = false; };
    source.onerror = function () { if (dot) dot.hidden = true; };
    source.addEventListener("change", function (event) {
      var current = document.getElementById("live");
      var change = {};
      try { change = JSON.parse(event.data); } catch (e) { /* refresh anyway */ }
      if (current.dataset.live === "conversation" && change.conversation_id &&
          change.conversation_id !== current.dataset.conversation) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    countdowns(document);
    setInterval(function () { countdowns(document); }, 1000);
    checkArguments();
    listen();
  });
})();
