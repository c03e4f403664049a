"""The one place where providers are registered (what a provider is: sandbox.provider).

Every provider serves, beside its own API, the inspection and fault routes of sandbox.kit.
"""

from collections.abc import Sequence

from sandbox.billing import billing_provider
from sandbox.config import Settings
from sandbox.marketplace import marketplace_provider
from sandbox.provider import Hook, Provider, ProviderFactory
from sandbox.push import push_provider
from sandbox.sms import sms_provider
from sandbox.smtp import smtp_provider
from sandbox.telegram import telegram_provider

__all__ = ["REGISTERED", "Hook", "Provider", "ProviderFactory", "build_providers"]

# The registration point: each provider module exposes a factory and is listed here, e.g.
# `from sandbox.billing import billing_provider` and then `billing_provider,` in the tuple.
REGISTERED: tuple[ProviderFactory, ...] = (
    push_provider,
    billing_provider,
    sms_provider,
    marketplace_provider,
    telegram_provider,
    smtp_provider,
)


def build_providers(settings: Settings, factories: Sequence[ProviderFactory]) -> list[Provider]:
    providers = [factory(settings) for factory in factories]
    names = [provider.name for provider in providers]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"providers registered twice: {', '.join(duplicates)}")
    return providers
