"""The components of the platform, in start order (services before the gateway that fronts them)."""

from importlib import import_module

from quintet_shared.component import ComponentDefinition

SERVICES = ("readings", "promotions", "subscriptions", "crm", "marketplace")
GATEWAY = "gateway"
SANDBOX = "sandbox"
SANDBOX_PORT_OFFSET = 9  # the sandbox listens on the gateway's port + 9 (8009)


def definition(name: str) -> ComponentDefinition:
    return import_module(f"{name}.component").DEFINITION


def service_definitions() -> list[ComponentDefinition]:
    return [definition(name) for name in SERVICES]


def all_definitions() -> list[ComponentDefinition]:
    """Every component that owns a database: the services and the gateway."""
    return [*service_definitions(), definition(GATEWAY)]
