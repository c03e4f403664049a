"""The components of the platform, in start order (services before the gateway that fronts them)."""

from collections.abc import Mapping
from importlib import import_module

from quintet_shared.component import ComponentDefinition

SERVICES = ("readings", "promotions", "subscriptions", "crm", "marketplace")
GATEWAY = "gateway"
SANDBOX = "sandbox"
SANDBOX_PORT_OFFSET = 9  # the sandbox listens on the gateway's port + 9 (8009)
SMTP_PORT_OFFSET = 25  # and its SMTP sink on the gateway's port + 25 (8025)
# Service settings that hold a sandbox provider's base URL, and its path under /sandbox/ (the provider's
# name first, then where the API lives in it, as a real provider's base URL would say).
SANDBOX_PROVIDER_URLS = {
    "PROMOTIONS_PUSH_URL": "push",
    "SUBSCRIPTIONS_BILLING_URL": "billing",
    "SUBSCRIPTIONS_SMS_URL": "sms",
    "MARKETPLACE_ORDERS_URL": "marketplace/shop/api",
    "MARKETPLACE_OFFERS_URL": "marketplace",
    "MARKETPLACE_TELEGRAM_URL": "telegram",
}
# Service settings that hold the gateway's URL as outside parties reach it (callbacks to public paths).
GATEWAY_URL_SETTINGS = ("SUBSCRIPTIONS_CALLBACK_BASE_URL",)


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


def gateway_url_settings(gateway_port: int, environ: Mapping[str, str]) -> dict[str, str]:
    """The settings naming the gateway's URL (where the sandbox's providers call back), pointing at a
    gateway on `gateway_port`, for those `environ` does not set already."""
    return {name: f"http://127.0.0.1:{gateway_port}" for name in GATEWAY_URL_SETTINGS if name not in environ}


def sandbox_smtp_settings(port_base: int, environ: Mapping[str, str]) -> dict[str, str]:
    """Where a run mode's sandbox serves SMTP (always: like its HTTP port, it follows the run's ports),
    and crm's SMTP relay pointing there unless `environ` names another."""
    port = str(port_base + SMTP_PORT_OFFSET)
    settings = {"SANDBOX_SMTP_PORT": port}
    if "CRM_SMTP_HOST" not in environ:
        settings.update(CRM_SMTP_HOST="127.0.0.1", CRM_SMTP_PORT=environ.get("CRM_SMTP_PORT", port))
    return settings
