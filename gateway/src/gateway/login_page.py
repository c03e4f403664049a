"""The sign-in page: plain HTML rendered on the server, every value escaped, no script and no build step."""

from datetime import UTC, datetime
from html import escape

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .3rem}
input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1.2rem}p.note{color:#555;font-size:.9rem}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def sign_in_form(next_path: str, max_age_seconds: int) -> str:
    lasts = f"{max_age_seconds // 3600} hours" if max_age_seconds >= 7200 else f"{max_age_seconds // 60} minutes"
    return _page(
        "Sign in · Quintet",
        "<h1>Sign in to Quintet</h1>"
        "<form method='post' action='/login'>"
        "<label for='app_id'>App id</label>"
        "<input id='app_id' name='app_id' type='password' autocomplete='current-password' required autofocus>"
        f"<input type='hidden' name='next' value='{escape(next_path)}'>"
        "<button type='submit'>Sign in</button></form>"
        "<p class='note'>Your client's app id, as the gateway's operator gave it. "
        f"It keeps this browser signed in for {lasts}.</p>",
    )


def signed_in(client: str, expires_at: int, next_path: str) -> str:
    until = datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _page(
        "Signed in · Quintet",
        f"<h1>Signed in as <span id='client'>{escape(client)}</span></h1>"
        f"<p>Until {escape(until)}. <a href='{escape(next_path)}'>Go on</a></p>"
        "<form method='post' action='/logout'><button type='submit'>Sign out</button></form>",
    )
