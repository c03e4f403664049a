"""The order life cycle's moves, the marketplace's states in ours, and the API token's encryption
(a key rotated in still reads tokens written with the old one; a removed key does not)."""

from itertools import pairwise

import pytest
from cryptography.fernet import Fernet

from marketplace.models import OrderStatus
from marketplace.order_states import can_move, from_marketplace
from marketplace.token_crypto import TokenUnreadable, decrypt_token, encrypt_token


def test_an_order_moves_forward_or_is_cancelled_before_delivery() -> None:
    path = [OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.SHIPPED, OrderStatus.DELIVERED]
    for current, following in pairwise(path):
        assert can_move(current, following) and not can_move(following, current)
    assert all(can_move(status, OrderStatus.CANCELLED) for status in path[:-1])
    assert not can_move(OrderStatus.DELIVERED, OrderStatus.CANCELLED)
    assert not can_move(OrderStatus.NEW, OrderStatus.SHIPPED)
    assert not any(can_move(OrderStatus.CANCELLED, status) for status in OrderStatus)


def test_the_marketplaces_states_map_to_ours() -> None:
    assert from_marketplace("NEW", "APPROVED_BY_BANK") == OrderStatus.NEW
    assert from_marketplace("KASPI_DELIVERY", None) == OrderStatus.ACCEPTED
    assert from_marketplace("ARCHIVE", "COMPLETED") == OrderStatus.DELIVERED
    assert from_marketplace("ARCHIVE", "CANCELLED") == OrderStatus.CANCELLED
    assert from_marketplace("SOMETHING_NEW", None) == OrderStatus.NEW


def test_a_token_is_encrypted_and_keys_rotate() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    encrypted = encrypt_token(old, "kaspi-token")
    assert "kaspi-token" not in encrypted
    assert decrypt_token(f"{new},{old}", encrypted) == "kaspi-token"
    with pytest.raises(TokenUnreadable):
        decrypt_token(new, encrypted)
