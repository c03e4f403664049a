"""`marketplace landing load [FILE]`: an operator replaces the public landing content (tariffs,
reviews, FAQ, footer) with a JSON file's (landing.LandingIn), the bundled default without one.

Exit codes: 0 loaded, 2 nothing changed (a missing or invalid file). Errors are one line.
"""

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from marketplace.cli import app
from marketplace.config import Settings
from marketplace.landing import LandingIn, load_landing
from quintet_shared.clock import system_clock
from quintet_shared.db import make_engine, session_scope

DEFAULT_CONTENT = Path(__file__).resolve().parent / "content" / "landing.json"
MAX_BYTES = 1024 * 1024

landing = typer.Typer(help="The public landing page's content.", no_args_is_help=True)
app.add_typer(landing, name="landing")


@landing.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="JSON: {tariffs, reviews, faq, footer}")] = DEFAULT_CONTENT,
) -> None:
    """Replace the landing content (tariffs by code: updated, added, or retired when left out)."""
    try:
        if file.stat().st_size > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES} bytes")
        content = LandingIn.model_validate_json(file.read_bytes())
    except (OSError, ValueError, ValidationError) as exc:
        typer.echo(f"cannot load {file}: {str(exc).splitlines()[0]}", err=True)
        raise typer.Exit(2) from None
    engine = make_engine(Settings().database_url)
    try:
        with session_scope(engine) as session:
            counts = load_landing(session, content, now=system_clock())
    finally:
        engine.dispose()
    typer.echo("landing loaded: " + json.dumps(counts))
