// Turnover's console works without JavaScript; this file only adds what helps: directory search in
// the people pickers, placeholder buttons for the out-of-office texts, and live run progress.
"use strict";

(function () {
  // People pickers: an input with data-picker="<tenant>" searches that tenant's directory.
  const list = document.getElementById("people");
  let timer = null;
  let lastQuery = "";
  document.querySelectorAll("input[data-picker]").forEach(function (input) {
    input.addEventListener("input", function () {
      const query = input.value.trim();
      if (!list || query.length < 2 || query === lastQuery || query.includes("@")) return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        lastQuery = query;
        const url = "/people?tenant=" + encodeURIComponent(input.dataset.picker) + "&q=" + encodeURIComponent(query);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (people) {
            list.replaceChildren();
            people.forEach(function (person) {
              const option = document.createElement("option");
              option.value = person.upn;
              option.label = person.name;
              option.textContent = person.name;
              list.appendChild(option);
            });
          })
          .catch(function () { /* the field still takes a typed address */ });
      }, 200);
    });
  });

  // Placeholder chips insert {displayName} etc. into the out-of-office text last focused.
  let target = document.querySelector("textarea[data-placeholder-target]");
  document.querySelectorAll("textarea[data-placeholder-target]").forEach(function (area) {
    area.addEventListener("focus", function () { target = area; });
  });
  document.querySelectorAll("button[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!target) return;
      const text = button.dataset.insert;
      const start = target.selectionStart ?? target.value.length;
      const end = target.selectionEnd ?? start;
      target.value = target.value.slice(0, start) + text + target.value.slice(end);
      target.focus();
      target.selectionStart = target.selectionEnd = start + text.length;
    });
  });

  // Live progress of a run over server-sent events.
  const status = document.querySelector("[data-live]");
  if (status && window.EventSource) {
    const labels = {
      succeeded: ["done", "good"], skipped: ["already so", "good"], failed: ["failed", "bad"],
      blocked: ["not run: a step it needs failed", "bad"], running: ["running", "busy"], pending: ["waiting", "wait"]
    };
    const overall = {
      "awaiting-approval": ["awaiting approval", "wait"], approved: ["approved, starting", "busy"], running: ["running", "busy"],
      succeeded: ["completed", "good"], "partially-succeeded": ["partially completed", "warn"], failed: ["failed", "bad"],
      blocked: ["blocked", "bad"], rejected: ["rejected", "muted"], cancelled: ["cancelled", "muted"], expired: ["expired", "muted"]
    };
    const paint = function (element, pair) {
      element.textContent = pair[0];
      element.className = "badge " + pair[1];
    };
    const source = new EventSource(status.dataset.live);
    let sawRun = false;
    source.addEventListener("status", function (event) {
      const data = JSON.parse(event.data);
      if (overall[data.status]) paint(status, overall[data.status]);
      status.dataset.status = data.status;
    });
    source.addEventListener("step", function (event) {
      const step = JSON.parse(event.data);
      const row = document.querySelector('tr[data-step="' + CSS.escape(step.id) + '"]');
      if (!row) { sawRun = true; return; }
      const badge = row.querySelector('[data-role="status"]');
      if (badge && labels[step.status]) paint(badge, labels[step.status]);
      const detail = row.querySelector('[data-role="detail"]');
      if (detail) {
        if (step.error) detail.textContent = step.error.message || "";
        else if (step.reason) detail.textContent = step.reason;
        else if (step.before && step.after) detail.textContent = step.before + " → " + step.after;
      }
    });
    source.addEventListener("end", function (event) {
      source.close();
      const data = JSON.parse(event.data);
      status.dataset.status = data.status;
      status.dataset.finished = "true";
      // The finished page shows the report links and the recorded outcome of every step.
      window.setTimeout(function () { window.location.reload(); }, sawRun ? 0 : 300);
    });
    source.onerror = function () { /* EventSource reconnects by itself */ };
  }
})();
