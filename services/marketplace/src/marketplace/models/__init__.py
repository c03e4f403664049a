"""Marketplace tables. Every table derives from `MarketplaceModel`, whose metadata is this service's
alone; importing this package registers them all (migrations and tests read `metadata`)."""

from marketplace.models.base import MarketplaceModel, metadata
from marketplace.models.catalogue import Product, SalesPoint, Stock, Store
from marketplace.models.landing import FaqEntry, FooterLink, Review
from marketplace.models.monitoring import ObservedOffer, OfferFetch, PriceChange, PriceChangeSource
from marketplace.models.notifications import Notification, NotificationSetting, TelegramStatus
from marketplace.models.orders import CustomerOrder, OrderItem, OrderSource, OrderStatus
from marketplace.models.tariffs import Tariff, TariffPurchase
from marketplace.models.uploads import ProductUpload, ProductUploadChunk

__all__ = [
    "CustomerOrder",
    "FaqEntry",
    "FooterLink",
    "MarketplaceModel",
    "Notification",
    "NotificationSetting",
    "ObservedOffer",
    "OfferFetch",
    "OrderItem",
    "OrderSource",
    "OrderStatus",
    "PriceChange",
    "PriceChangeSource",
    "Product",
    "ProductUpload",
    "ProductUploadChunk",
    "Review",
    "SalesPoint",
    "Stock",
    "Store",
    "Tariff",
    "TariffPurchase",
    "TelegramStatus",
    "metadata",
]
