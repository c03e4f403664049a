"""A store's marketplace API token, kept encrypted (Fernet: AES-128-CBC with an HMAC) under a key
from settings, so a copy of the database alone does not give away the sellers' marketplace accounts.

The token is written once and read only by the orders sync; no API answer ever carries it (a
store's answer says only whether one is set). `MARKETPLACE_TOKEN_KEY` may hold several keys,
comma-separated: the first encrypts, any decrypts, so a key is rotated without losing the tokens.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenUnreadable(ValueError):
    """The stored token was encrypted with a key that is no longer configured."""


def _cipher(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])


def encrypt_token(keys: str, token: str) -> str:
    return _cipher(keys).encrypt(token.encode()).decode()


def decrypt_token(keys: str, encrypted: str) -> str:
    try:
        return _cipher(keys).decrypt(encrypted.encode()).decode()
    except InvalidToken as exc:
        raise TokenUnreadable("the store's API token was encrypted with another key") from exc
