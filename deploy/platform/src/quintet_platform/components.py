"""The components of the platform, in start order (services before the gateway that fronts them)."""

from collections.abc import Mapping
from importlib import import_module

from quintet_shared.component import ComponentDefinition

SERVICES = ("readings", "promotions", "subscriptions", "crm", "marketplace")
GATEWAY = "gateway"
SANDBOX = "sandbox"
SANDBOX_PORT_OFFSET = 9  # the sandbox listens on the gateway's port + 9 (8009)
# Service settings that hold a sandbox provider's base URL, and that provider's name.
SANDBOX_PROVIDER_URLS = {"PROMOTIONS_PUSH_URL": "push", "SUBSCRIPTIONS_BILLING_URL": "billing"}


def definition(name: str) -> ComponentDefinition:
    return import_module(f"{name}.component").DEFINITION


def service_definitions() -> list[ComponentDefinition]:
    return [definition(name) for name in SERVICES]


def all_definitions() -> list[ComponentDefinition]:
    """Every component that owns a database: the services and the gateway."""
    return [*service_definitions(), definition(GATEWAY)]


def sandbox_provider_urls(sandbox_port: int, environ: Mapping[str, str]) -> dict[str, str]:
    """The provider URL settings that point at a sandbox on `sandbox_port`, for those `environ` does
    not set already (a run mode on other ports still reaches its own sandbox; a real provider named
    in the environment is kept)."""
    return {
        name: f"http://127.0.0.1:{sandbox_port}/sandbox/{provider}"
        for name, provider in SANDBOX_PROVIDER_URLS.items()
        if name not in environ
    }
