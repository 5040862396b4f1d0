// GoHumanLoop inbox: live updates (server-sent events), countdowns and relative times in the
// page's language, keyboard shortcuts, the argument editor's live diff, and opt-in browser
// notifications of new requests. Pages work without it; it only saves reloading and clicks.
(function () {
  "use strict";

  var lang = document.documentElement.lang || "en";
  var $ = function (id) { return document.getElementById(id); };
  var all = function (root, css) { return Array.prototype.slice.call(root.querySelectorAll(css)); };
  var store = {
    get: function (k) { try { return localStorage.getItem(k); } catch (e) { return null; } },
    set: function (k, v) { try { if (v === null) localStorage.removeItem(k); else localStorage.setItem(k, v); } catch (e) { /* private mode */ } }
  };

  // ---- Times: countdowns ("expires in 9m 59s", "剩余 9分钟 59秒") and relative times.
  var units = {};
  function amount(n, unit, short) {
    if (!(unit in units)) {
      try { units[unit] = new Intl.NumberFormat(lang, { style: "unit", unit: unit, unitDisplay: "narrow" }); } catch (e) { units[unit] = null; }
    }
    return units[unit] ? units[unit].format(n) : n + short;
  }

  function countdowns(root) {
    all(root, ".countdown[data-deadline]").forEach(function (el) {
      var left = Math.round((Number(el.dataset.deadline) - Date.now()) / 1000);
      if (left <= 0) {
        el.textContent = document.body.dataset.expired || "0s";
        el.classList.add("over");
        return;
      }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60, parts = [];
      if (h) parts.push(amount(h, "hour", "h"));
      if (h || m) parts.push(amount(m, "minute", "m"));
      if (!h) parts.push(amount(s, "second", "s"));
      el.textContent = (el.dataset.prefix ? el.dataset.prefix + " " : "") + parts.join(" ");
    });
  }

  var relative = null;
  var STEPS = [[60, 1, "second"], [3600, 60, "minute"], [86400, 3600, "hour"], [2592000, 86400, "day"],
    [31536000, 2592000, "month"], [Infinity, 31536000, "year"]];
  function relTimes(root) {
    if (!window.Intl || !Intl.RelativeTimeFormat) return;
    try { relative = relative || new Intl.RelativeTimeFormat(lang, { numeric: "auto" }); } catch (e) { return; }
    all(root, "time.rel[datetime]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      if (!el.title) el.title = el.textContent.trim() + " UTC";
      var secs = Math.round((at - Date.now()) / 1000), abs = Math.abs(secs);
      if (abs < 45) { el.textContent = relative.format(0, "second"); return; }
      for (var i = 0; i < STEPS.length; i++) {
        if (abs < STEPS[i][0]) { el.textContent = relative.format(Math.round(secs / STEPS[i][1]), STEPS[i][2]); return; }
      }
    });
  }

  function times(root) { countdowns(root); relTimes(root); }

  // ---- The argument editor: the whole-arguments JSON check, the per-field live diff.
  function same(a, b) {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    var ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every(function (k) {
      return Object.prototype.hasOwnProperty.call(b, k) && same(a[k], b[k]);
    });
  }

  var NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
  // What a field holds, as the hub reads it (request/edit.rs): {ok, value} or {ok: false, why}.
  function typed(field, note) {
    var text = field.value, trimmed = text.trim();
    switch (field.dataset.kind) {
      case "text": return { ok: true, value: text.replace(/\r\n/g, "\n") };
      case "bool": return { ok: true, value: text === "true" };
      case "number":
        return NUMBER.test(trimmed) ? { ok: true, value: Number(trimmed) } : { ok: false, why: note.dataset.notNumber };
      case "null":
        if (trimmed === "" || trimmed === "null") return { ok: true, value: null };
        try { return { ok: true, value: JSON.parse(trimmed) }; } catch (e) { return { ok: true, value: text }; }
      default:
        try { return { ok: true, value: JSON.parse(text) }; } catch (e) { return { ok: false, why: note.dataset.notJson + ": " + e.message }; }
    }
  }

  function shown(value) { return typeof value === "string" ? value : JSON.stringify(value); }

  function cell(tag, text, wrap) {
    var c = document.createElement(tag);
    if (wrap) { var w = document.createElement(wrap); w.textContent = text; c.appendChild(w); } else { c.textContent = text; }
    return c;
  }

  function diff() {
    var panel = $("edit-panel"), approve = $("approve");
    if (!panel || !approve) return;
    if (!approve.dataset.label) approve.dataset.label = approve.textContent;
    var note = $("arguments-check"), whole = $("arguments"), table = $("diff");
    var changed = 0, bad = null;
    if (whole) {
      // Arguments the original client sent as text may be no JSON: checked once edited.
      if (whole.value.trim() !== whole.defaultValue.trim()) {
        changed = 1;
        try { JSON.parse(whole.value); } catch (e) { bad = whole.dataset.invalid + ": " + e.message; }
      }
      whole.classList.toggle("invalid", !!bad);
    } else if (table) {
      var body = table.tBodies[0];
      body.textContent = "";
      all(panel, "[data-arg]").forEach(function (field) {
        var original;
        try { original = JSON.parse(field.dataset.original); } catch (e) { return; }
        var got = typed(field, note);
        field.classList.toggle("invalid", !got.ok);
        if (got.ok && same(got.value, original)) return;
        if (!got.ok && !bad) bad = field.dataset.arg + ": " + got.why;
        var tr = document.createElement("tr");
        tr.dataset.key = field.dataset.arg;
        tr.appendChild(cell("th", field.dataset.arg));
        tr.appendChild(cell("td", shown(original), "del"));
        tr.appendChild(cell("td", got.ok ? shown(got.value) : field.value, "ins"));
        body.appendChild(tr);
        changed++;
      });
    }
    if (note) { note.hidden = !bad; note.textContent = bad || ""; }
    approve.disabled = !!bad;
    approve.textContent = changed ? approve.dataset.editedLabel : approve.dataset.label;
  }

  function openEditor(open, focus) {
    var panel = $("edit-panel");
    if (!panel) return;
    panel.hidden = !open;
    var button = $("edit");
    if (button) button.setAttribute("aria-expanded", String(open));
    var form = $("approve-form");
    if (form) form.classList.toggle("editing", open);
    if (open && focus) {
      var first = panel.querySelector("input, select, textarea");
      if (first) first.focus();
    }
  }

  function resetArguments() {
    all(document, "#edit-panel [data-arg]").forEach(function (field) { field.value = field.dataset.initial; });
    var whole = $("arguments");
    if (whole) whole.value = whole.defaultValue;
    diff();
  }

  // ---- "Then the next request": the choice goes with every action form.
  function syncThen() {
    var box = $("then-next");
    if (!box) return;
    all(document, "input.then-mirror").forEach(function (i) { i.value = box.checked ? "next" : "list"; });
  }

  function restoreThen() {
    var box = $("then-next");
    if (box && store.get("ghl-then") === "list") box.checked = false;
    syncThen();
  }

  // ---- Browser notifications of new requests (opt-in, remembered in localStorage).
  function notifying() {
    return store.get("ghl-notify") === "1" && "Notification" in window && Notification.permission === "granted";
  }

  function notifyButton() {
    var b = $("notify");
    if (!b || !("Notification" in window)) return;
    var on = notifying();
    b.hidden = false;
    b.textContent = on ? document.body.dataset.notifyStop : document.body.dataset.notify;
    b.setAttribute("aria-pressed", String(on));
  }

  function toggleNotifications() {
    if (!("Notification" in window)) return;
    if (notifying()) { store.set("ghl-notify", null); notifyButton(); return; }
    var answered = function (permission) {
      if (permission === "granted") store.set("ghl-notify", "1");
      notifyButton();
    };
    var asked = Notification.requestPermission(answered);
    if (asked && asked.then) asked.then(answered);
  }

  var news = [];
  function announce(root) {
    var ids = news;
    news = [];
    if (!notifying()) return;
    ids.forEach(function (id) {
      var row = root.querySelector('li.req[data-id="' + (window.CSS && CSS.escape ? CSS.escape(id) : id) + '"]');
      // Someone else looks after it: not for me.
      if (row && row.querySelector(".assignee")) return;
      var title = row && row.querySelector(".title") ? row.querySelector(".title").textContent.trim() : document.body.dataset.newRequest;
      var summary = row && row.querySelector(".summary") ? row.querySelector(".summary").textContent.trim() : "";
      try { new Notification(title, { body: summary, tag: id }); } catch (e) { /* not allowed here */ }
    });
  }

  // ---- The inbox's current row.
  function rows() { return all(document, "#requests li.req"); }

  function setCurrent(row, focus) {
    rows().forEach(function (r) { r.classList.toggle("current", r === row); });
    if (row && focus) {
      var link = row.querySelector("a.open");
      if (link) link.focus();
    }
  }

  function move(step) {
    var list = rows();
    if (!list.length) return;
    var i = list.findIndex(function (r) { return r.classList.contains("current"); });
    var row = list[i < 0 ? 0 : Math.max(0, Math.min(list.length - 1, i + step))];
    setCurrent(row, true);
    row.scrollIntoView({ block: "nearest" });
  }

  function openCurrent() {
    var row = document.querySelector("#requests li.req.current") || rows()[0];
    var link = row && row.querySelector("a.open");
    if (link) location.href = link.href;
  }

  // ---- Live refresh: the page's #live part from a fresh copy of the page.
  var refreshing = false, again = false, stale = false;

  function dirty(actions) {
    if (!actions) return false;
    var panel = $("edit-panel"), cancel = $("cancel-box");
    return (panel && !panel.hidden) || (cancel && cancel.open) ||
      all(actions, "textarea").some(function (t) { return t.value !== t.defaultValue; });
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("live"), live = $("live");
    if (!fresh || !live) return;
    var actions = $("actions"), freshActions = fresh.querySelector("#actions");
    var active = document.activeElement;
    // What the approver is typing stays; the page catches up once they leave the actions.
    if (freshActions && actions && actions.contains(active)) { stale = true; return; }
    if (freshActions && dirty(actions)) freshActions.replaceWith(actions);
    var current = document.querySelector("#requests li.req.current");
    var focusedRow = !!(active && active.closest && active.closest("#requests li.req"));
    live.replaceWith(fresh);
    if (doc.title) document.title = doc.title;
    times(fresh);
    if (current) {
      var kept = all(fresh, "#requests li.req").filter(function (r) { return r.dataset.id === current.dataset.id; })[0];
      setCurrent(kept || rows()[0], focusedRow);
    }
    notifyButton();
    diff();
    syncThen();
    announce(fresh);
  }

  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) swap(html); })
      .catch(function () {})
      .finally(function () {
        refreshing = false;
        if (again) { again = false; setTimeout(refresh, 100); }
      });
  }

  function listen() {
    if (!$("live") || !window.EventSource) return;
    var dot = $("live-dot"), timer = null;
    var source = new EventSource("/inbox/events");
    source.onopen = function () { if (dot) dot.hidden = false; };
    source.onerror = function () { if (dot) dot.hidden = true; };
    source.addEventListener("change", function (event) {
      var live = $("live"), change = {};
      try { change = JSON.parse(event.data); } catch (e) { /* refresh anyway */ }
      // A new request has no status before.
      if (change.id && !change.previous_status && change.event !== "updated") news.push(change.id);
      if (live && live.dataset.live === "conversation" && change.conversation_id &&
          change.conversation_id !== live.dataset.conversation) {
        announce(document);
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    });
  }

  // ---- Keyboard shortcuts (never while typing, except Escape).
  var beforeHelp = null;
  function help(show) {
    var dialog = $("shortcuts");
    if (!dialog) return;
    if (show === undefined) show = dialog.hidden;
    if (show === !dialog.hidden) return;
    dialog.hidden = !show;
    if (show) {
      beforeHelp = document.activeElement;
      var close = $("close-shortcuts");
      if (close) close.focus();
    } else if (beforeHelp && document.contains(beforeHelp)) {
      beforeHelp.focus();
    }
  }

  function typingIn(el) {
    return !!el && (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable);
  }

  function focus(id) {
    var el = $(id);
    if (!el) return false;
    el.focus();
    return true;
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var dialog = $("shortcuts"), inbox = !!$("filters"), request = !!$("request");
    if (e.key === "Escape") {
      if (dialog && !dialog.hidden) { help(false); e.preventDefault(); return; }
      if (typingIn(document.activeElement)) { document.activeElement.blur(); return; }
      var cancel = $("cancel-box");
      if (cancel && cancel.open) { cancel.open = false; return; }
      if (request) location.href = "/inbox";
      return;
    }
    if (typingIn(e.target)) return;
    var handled = true;
    if (e.key === "?") help();
    else if (inbox && e.key === "/") handled = focus("q");
    else if (inbox && e.key === "j") move(1);
    else if (inbox && e.key === "k") move(-1);
    else if (inbox && (e.key === "o" || (e.key === "Enter" && !/^(A|BUTTON|SUMMARY)$/.test(e.target.tagName)))) openCurrent();
    else if (request && e.key === "a") handled = focus("approve") || focus("answer-text") || focus("reply-text");
    else if (request && e.key === "e" && $("edit-panel")) openEditor(true, true);
    else if (request && e.key === "r") handled = focus("reject-reason");
    else if (request && e.key === "u") location.href = "/inbox";
    else if (request && e.key === "j" && $("next-pending")) location.href = $("next-pending").href;
    else if (request && e.key === "k" && $("prev-pending")) location.href = $("prev-pending").href;
    else handled = false;
    if (handled) e.preventDefault();
  }

  function onClick(e) {
    var target = e.target.closest ? e.target : e.target.parentElement;
    if (!target) return;
    if (target.closest("#edit")) {
      e.preventDefault();
      var panel = $("edit-panel");
      openEditor(!!panel && panel.hidden, false);
    } else if (target.closest("#reset-arguments")) {
      e.preventDefault();
      resetArguments();
    } else if (target.closest("#notify")) {
      e.preventDefault();
      toggleNotifications();
    } else if (target.closest("#close-shortcuts")) {
      help(false);
    }
  }

  function onEdit(e) {
    var target = e.target;
    if (target.closest && target.closest("#edit-panel")) diff();
    if (target.id === "then-next") {
      store.set("ghl-then", target.checked ? "next" : "list");
      syncThen();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    times(document);
    setInterval(function () { countdowns(document); }, 1000);
    setInterval(function () { relTimes(document); }, 30000);
    document.addEventListener("keydown", onKey);
    document.addEventListener("click", onClick);
    document.addEventListener("input", onEdit);
    document.addEventListener("change", onEdit);
    document.addEventListener("focusin", function (e) {
      var row = e.target.closest && e.target.closest("#requests li.req");
      if (row) setCurrent(row, false);
    });
    document.addEventListener("focusout", function (e) {
      var actions = $("actions");
      if (stale && actions && actions.contains(e.target) && !actions.contains(e.relatedTarget)) {
        stale = false;
        refresh();
      }
    });
    restoreThen();
    diff();
    notifyButton();
    // The most urgent request first: Enter opens it.
    var first = rows()[0];
    if (first && (!document.activeElement || document.activeElement === document.body)) setCurrent(first, true);
    listen();
  });
})();
