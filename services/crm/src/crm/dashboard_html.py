"""The dashboard's pages as HTML strings: every value that comes from data is escaped here, once.

The pages work without their script (lists, counts at the time of loading, pages of events); the
script (dashboard_script.py) adds live counts and the run, pause and resume buttons' requests.
"""

from collections.abc import Sequence
from datetime import datetime
from html import escape

from crm.dashboard_queries import STATES, CampaignCounts, CampaignRow, EventRow
from crm.models import Campaign

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#222}
header{display:flex;justify-content:space-between;align-items:baseline}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;
text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.status{font-weight:600}.running{color:#0a6}.paused{color:#c80}.completed{color:#06c}
nav.pager>*{margin-right:1rem}#message{min-height:1.4rem}#message.error{color:#a00}button{margin-right:.3rem}
"""
# The buttons each campaign state allows (the API's own rules; the script keeps them in step).
ACTIONS = {"draft": ("run",), "running": ("pause",), "paused": ("resume",), "completed": ("run",)}


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style>"
        "<script src='/crm/dashboard/app.js' defer></script></head><body>"
        "<header><h1>CRM dashboard</h1>"
        "<form method='post' action='/logout'><button type='submit'>Sign out</button></form></header>"
        f"<p id='message' role='status'></p>{body}</body></html>"
    )


def _when(moment: datetime | None) -> str:
    return "" if moment is None else escape(moment.strftime("%Y-%m-%d %H:%M:%S UTC"))


def _counts_cells(live: CampaignCounts) -> str:
    cells = [f"<td class='n' data-count='{state}'>{live.counts[state]}</td>" for state in STATES]
    return "".join(cells) + f"<td class='n' data-count='total'>{live.total}</td>"


def _buttons(campaign_id: int, status: str) -> str:
    allowed = ACTIONS.get(status, ())
    return "".join(
        f"<button type='button' data-action='{action}' data-campaign='{campaign_id}'"
        f"{'' if action in allowed else ' disabled'}>{action.title()}</button>"
        for action in ("run", "pause", "resume")
    )


def _pager(base: str, page: int, pages: int) -> str:
    links = []
    if page > 1:
        links.append(f"<a rel='prev' href='{escape(base)}?page={page - 1}'>Previous</a>")
    links.append(f"<span>Page {page} of {pages}</span>")
    if page < pages:
        links.append(f"<a rel='next' href='{escape(base)}?page={page + 1}'>Next</a>")
    return f"<nav class='pager'>{''.join(links)}</nav>"


def _head_cells() -> str:
    return "".join(f"<th>{state.title()}</th>" for state in STATES) + "<th>Total</th>"


def campaign_list(rows: Sequence[CampaignRow], *, page: int, pages: int) -> str:
    if not rows:
        return _page("CRM dashboard", "<p>No campaigns yet.</p>")
    body = [
        "<table id='campaigns'><thead><tr><th>Campaign</th><th>Restaurant</th><th>Segment</th><th>Status</th>",
        _head_cells(),
        "<th></th></tr></thead><tbody>",
    ]
    for row in rows:
        campaign = row.campaign
        body.append(
            f"<tr data-campaign='{campaign.id}'>"
            f"<td><a href='/crm/dashboard/campaigns/{campaign.id}'>{escape(campaign.name)}</a></td>"
            f"<td>{escape(row.restaurant_name)}</td><td>{escape(_segment(campaign))}</td>"
            f"<td class='status {escape(row.live.status)}' data-status>{escape(row.live.status)}</td>"
            f"{_counts_cells(row.live)}<td>{_buttons(campaign.id or 0, row.live.status)}</td></tr>"
        )
    body.append("</tbody></table>")
    body.append(_pager("/crm/dashboard", page, pages))
    return _page("CRM dashboard", "".join(body))


def _segment(campaign: Campaign) -> str:
    if campaign.segment_type == "inactive":
        return f"inactive {campaign.segment_value} days"
    return f"spent at least {campaign.segment_value / 100:.2f}"


def campaign_detail(
    campaign: Campaign, restaurant_name: str, live: CampaignCounts, events: Sequence[EventRow], *, page: int, pages: int
) -> str:
    campaign_id = campaign.id or 0
    summary = ""
    if live.summary:
        summary = "<p>Summary: " + escape(", ".join(f"{key} {value}" for key, value in live.summary.items())) + "</p>"
    parts = [
        "<p><a href='/crm/dashboard'>All campaigns</a></p>",
        f"<h2>{escape(campaign.name)}</h2>",
        f"<p>{escape(restaurant_name)} · {escape(_segment(campaign))} · started {_when(campaign.started_at)}"
        f" · completed {_when(campaign.completed_at)}</p>",
        f"<pre>{escape(campaign.message_template)}</pre>",
        f"<table id='campaigns'><thead><tr><th>Status</th>{_head_cells()}<th></th></tr></thead><tbody>"
        f"<tr data-campaign='{campaign_id}'><td class='status {escape(live.status)}' data-status>"
        f"{escape(live.status)}</td>{_counts_cells(live)}<td>{_buttons(campaign_id, live.status)}</td></tr>"
        "</tbody></table>",
        summary,
        "<h3>Outreach events</h3>",
    ]
    if not events:
        parts.append("<p>No events on this page.</p>")
    else:
        parts.append(
            "<table id='events'><thead><tr><th>Event</th><th>Customer</th><th>Email</th><th>Status</th>"
            "<th>Attempts</th><th>Sent at</th><th>Last error</th></tr></thead><tbody>"
        )
        for row in events:
            event = row.event
            name = f"{row.first_name} {row.last_name}".strip()
            parts.append(
                f"<tr><td>{event.id}</td><td>{escape(name)}</td><td>{escape(row.email)}</td>"
                f"<td>{escape(str(event.status))}</td><td class='n'>{event.attempts}</td>"
                f"<td>{_when(event.sent_at)}</td><td>{escape(event.last_error or '')}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts.append(_pager(f"/crm/dashboard/campaigns/{campaign_id}", page, pages))
    return _page(f"{campaign.name} · CRM dashboard", "".join(parts))
