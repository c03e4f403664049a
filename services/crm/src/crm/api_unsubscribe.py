"""`/crm/public/unsubscribe/{token}`: the link in every campaign email (RFC 8058), reached without an
app id through the gateway's public paths (ARCHITECTURE.md §11).

`GET` shows a page with a button and changes nothing (mail scanners and link previews follow links);
`POST` unsubscribes: the button's form, or the mailbox provider's one-click request
(`List-Unsubscribe=One-Click` in the body, which is not needed and not read).
"""

from html import escape

from fastapi import Request
from fastapi.responses import HTMLResponse

from crm.unsubscribe import find_unsubscriber, unsubscribe
from quintet_shared.deps import NowDep, SessionDep
from quintet_shared.errors import documented_problem
from quintet_shared.public import PublicCallerDep, public_router

router = public_router("crm")
RESPONSES = {
    200: {"content": {"text/html": {}}, "description": "An HTML page"},
    404: documented_problem("The link is malformed, forged, or its customer is gone"),
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto">
<h1>{title}</h1>
<p>{text}</p>
{form}
</body></html>
"""


def _page(title: str, text: str, form: str = "") -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), text=text, form=form))


@router.get(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    responses=RESPONSES,
    summary="The page of an unsubscribe link: a button that unsubscribes",
)
def unsubscribe_page(token: str, request: Request, caller: PublicCallerDep, session: SessionDep) -> HTMLResponse:
    found = find_unsubscriber(session, secret=request.app.state.settings.unsubscribe_secret, token=token)
    who = escape(found.customer.email)
    sender = escape(found.restaurant or "this restaurant")
    if found.customer.unsubscribed_at is not None:
        return _page("Unsubscribed", f"{who} gets no more emails from {sender}.")
    # A relative action: the page is served under the gateway's path, whatever its host.
    form = f'<form method="post" action="{escape(token)}"><button type="submit">Unsubscribe</button></form>'
    return _page("Unsubscribe?", f"{who} will get no more emails from {sender}.", form)


@router.post(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    responses=RESPONSES,
    summary="Unsubscribe (the page's button, or a one-click List-Unsubscribe-Post)",
)
def unsubscribe_now(
    token: str, request: Request, caller: PublicCallerDep, session: SessionDep, now: NowDep
) -> HTMLResponse:
    found = unsubscribe(session, secret=request.app.state.settings.unsubscribe_secret, token=token, now=now)
    session.commit()
    sender = escape(found.restaurant or "this restaurant")
    return _page("Unsubscribed", f"{escape(found.customer.email)} gets no more emails from {sender}.")
