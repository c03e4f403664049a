"""The dashboard's one script, served as a file so the pages' Content-Security-Policy can forbid inline script.

It keeps the counts live from `GET /crm/dashboard/live` (server-sent events; EventSource reconnects
by itself), and sends the run, pause and resume buttons' requests to the campaigns API with the
sign-in session's CSRF token (the `quintet_csrf` cookie, sent back as `X-CSRF-Token`).
"""

SCRIPT = r"""
"use strict";
(function () {
  const ACTIONS = {draft: ["run"], running: ["pause"], paused: ["resume"], completed: ["run"]};
  const message = document.getElementById("message");

  function csrfToken() {
    const found = document.cookie.split("; ").find((item) => item.startsWith("quintet_csrf="));
    return found ? decodeURIComponent(found.slice("quintet_csrf=".length)) : "";
  }

  function say(text, failed) { message.textContent = text; message.className = failed ? "error" : ""; }

  function show(campaign) {
    document.querySelectorAll("tr[data-campaign='" + campaign.id + "']").forEach(function (row) {
      const status = row.querySelector("[data-status]");
      if (status) { status.textContent = campaign.status; status.className = "status " + campaign.status; }
      row.querySelectorAll("[data-count]").forEach(function (cell) {
        const value = campaign[cell.dataset.count];
        if (value !== undefined) { cell.textContent = String(value); }
      });
      const allowed = ACTIONS[campaign.status] || [];
      row.querySelectorAll("button[data-action]").forEach(function (button) {
        button.disabled = allowed.indexOf(button.dataset.action) < 0;
      });
    });
  }

  async function act(button) {
    const id = button.dataset.campaign, action = button.dataset.action;
    button.disabled = true;
    try {
      const response = await fetch("/crm/campaigns/" + id + "/" + action, {
        method: "POST", credentials: "same-origin", headers: {"X-CSRF-Token": csrfToken()},
      });
      const body = await response.json().catch(function () { return {}; });
      if (!response.ok) {
        say("Campaign " + id + ": " + (body.detail || response.statusText), true);
        button.disabled = false;
        return;
      }
      const campaign = body.campaign || body;
      say("Campaign " + id + ": " + action + " accepted (" + (campaign.status || "") + ").");
      if (campaign.status) { show({id: Number(id), status: campaign.status}); }
    } catch (error) {
      say("Campaign " + id + ": the request failed (" + error + ").", true);
      button.disabled = false;
    }
  }

  function listen() {
    const ids = Array.from(document.querySelectorAll("tr[data-campaign]"), (row) => row.dataset.campaign);
    if (!ids.length || !window.EventSource) { return; }
    const source = new EventSource("/crm/dashboard/live?" + ids.map((id) => "campaign_id=" + id).join("&"));
    source.addEventListener("counts", function (event) {
      JSON.parse(event.data).campaigns.forEach(show);
      document.body.dataset.live = "yes";
    });
    source.onerror = function () { document.body.dataset.live = "reconnecting"; };
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-action]");
    if (button) { act(button); }
  });
  listen();
})();
"""
