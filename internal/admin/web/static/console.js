// The dashboard's live view: polls the JSON API every second and redraws
// the sessions table. No framework; served as a file so that the
// Content-Security-Policy can forbid inline script.
"use strict";
(function () {
  const table = document.getElementById("sessions");
  if (!table) { return; }
  const body = table.querySelector("tbody");
  const csrf = table.dataset.csrf, admin = table.dataset.role === "admin";

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function rate(t) {
    const secs = (Date.now() - Date.parse(t.started)) / 1000;
    return secs > 0 ? Math.round(t.bytes / secs / 1024) + " KiB/s" : "";
  }
  function endButton(row, id) {
    const td = cell(row, "");
    if (!admin) { return; }
    const f = document.createElement("form");
    f.method = "post"; f.action = "/sessions/end";
    for (const [k, v] of [["csrf", csrf], ["session", String(id)]]) {
      const i = document.createElement("input");
      i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i);
    }
    const b = document.createElement("button"); b.textContent = "End"; f.appendChild(b);
    td.appendChild(f);
  }
  function draw(sessions) {
    body.replaceChildren();
    for (const s of sessions) {
      const row = document.createElement("tr");
      row.className = "session";
      cell(row, String(s.id)); cell(row, s.user); cell(row, s.remote);
      cell(row, new Date(s.since).toISOString().replace("T", " ").slice(0, 19) + "Z");
      cell(row, s.command);
      const t = s.transfer;
      cell(row, t ? t.command + " " + t.path + ": " + t.bytes + " bytes, " + rate(t) : "");
      const p = cell(row, "");
      if (t && t.size > 0) {
        const bar = document.createElement("progress");
        bar.max = t.size; bar.value = t.bytes; bar.className = "transfer";
        p.appendChild(bar);
        p.appendChild(document.createTextNode(" " + Math.floor(100 * t.bytes / t.size) + "%"));
      }
      endButton(row, s.id);
      body.appendChild(row);
    }
    document.getElementById("count").textContent = String(sessions.length);
    document.getElementById("updated").textContent = "Last update " + new Date().toISOString();
  }
  async function poll() {
    try {
      const r = await fetch("/api/sessions", { credentials: "same-origin" });
      if (r.status === 401) { location.href = "/login"; return; }
      if (r.ok) { draw(await r.json()); }
    } catch (e) { /* the next poll tries again */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
