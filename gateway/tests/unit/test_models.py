import pytest
from pydantic import ValidationError

from gateway.models import ClientCreate, ClientUpdate
from gateway.registry import generate_app_id, hash_app_id


@pytest.mark.parametrize("code", ["ab", "potatoes", "a-1_b", "0" * 64])
def test_valid_codes(code):
    assert ClientCreate(code=code, name="N", services=[]).code == code


@pytest.mark.parametrize("code", ["a", "Potatoes", "-ab", "a b", "0" * 65, "a\x00b"])
def test_invalid_codes(code):
    with pytest.raises(ValidationError):
        ClientCreate(code=code, name="N", services=[])


def test_services_are_deduplicated_in_order():
    assert ClientCreate(code="ab", name="N", services=["crm", "readings", "crm"]).services == ["crm", "readings"]
    assert ClientUpdate(services=["crm", "crm"]).services == ["crm"]


def test_app_ids_are_random_and_hashed_hex():
    first, second = generate_app_id(), generate_app_id()
    assert first != second and len(first) >= 43
    assert hash_app_id(first) != first and len(hash_app_id(first)) == 64
    assert hash_app_id(first) == hash_app_id(first)
