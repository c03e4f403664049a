"""The gateway as a component: its settings, tables and migrations, for the worker, CLI and run modes.

It has no routers of its own here (its app is the raw dispatcher of `gateway.main`), consumes no
events and keeps no copy of the client registry: it owns it. Its worker relays the client events.
"""

from gateway.config import Settings
from gateway.migrate import MIGRATIONS
from gateway.models import metadata
from quintet_shared.component import ComponentDefinition

DEFINITION = ComponentDefinition(
    name="gateway",
    title="Quintet gateway",
    port=8000,
    settings_class=Settings,
    metadata=metadata,
    migrations=MIGRATIONS,
    app_factory="gateway.main:create_app",
    keeps_tenants=False,
)
