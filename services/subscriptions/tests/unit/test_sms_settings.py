"""The daily SMS's settings: the gateways list, the token a prod deployment must set, the callback URL."""

import pytest
from pydantic import ValidationError

from subscriptions.config import DEV_SMS_TOKEN, Settings
from subscriptions.sms_delivery import callback_url

BILLING = {"billing_auth_key": "a-real-key"}  # prod refuses the public billing key too


def test_the_gateways_are_a_comma_separated_list_of_names() -> None:
    assert Settings().sms_gateway_names == ("srv1", "srv2", "srv3")
    assert Settings(sms_gateways=" a-1 , b_2 ").sms_gateway_names == ("a-1", "b_2")
    for wrong in ("", " , ", "srv1,srv1", "srv/1", "x" * 33):
        with pytest.raises(ValidationError):
            Settings(sms_gateways=wrong)


def test_prod_refuses_the_public_dev_token() -> None:
    with pytest.raises(ValidationError, match="sms_token"):
        Settings(quintet_env="prod", gateway_secret="a-real-secret-of-some-length", sms_token=DEV_SMS_TOKEN, **BILLING)
    assert Settings(
        quintet_env="prod", gateway_secret="a-real-secret-of-some-length", sms_token="real", **BILLING
    ).sms_token


def test_receipts_come_to_the_public_path_of_the_gateway() -> None:
    settings = Settings(callback_base_url="https://api.example/")
    assert callback_url(settings, "tok_en-1") == "https://api.example/subscriptions/public/sms/tok_en-1"
