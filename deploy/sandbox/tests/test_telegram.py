"""The telegram provider: the Bot API's sendMessage, its answers and what the chats received."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sandbox.config import Settings
from sandbox.main import create_app

TOKEN = "123456:test-bot-token"
BOT = f"/sandbox/telegram/bot{TOKEN}"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(telegram_bot_token=TOKEN, received_limit=100))) as test_client:
        yield test_client


def test_send_message_answers_like_the_bot_api_and_the_chat_receives_it(client: TestClient) -> None:
    response = client.post(f"{BOT}/sendMessage", json={"chat_id": 42, "text": "Price changed"})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["result"]["chat"] == {"id": 42} and body["result"]["text"] == "Price changed"
    assert isinstance(body["result"]["message_id"], int) and isinstance(body["result"]["date"], int)
    items = client.get("/sandbox/telegram/received").json()["items"]
    assert [(i["chat_id"], i["text"], i["message_id"]) for i in items] == [(42, "Price changed", 1)]


def test_a_channel_username_is_a_chat_and_other_strings_are_not(client: TestClient) -> None:
    assert client.post(f"{BOT}/sendMessage", json={"chat_id": "@seller_news", "text": "hi"}).status_code == 200
    response = client.post(f"{BOT}/sendMessage", json={"chat_id": "nobody", "text": "hi"})
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}


def test_a_wrong_token_is_the_bot_apis_401(client: TestClient) -> None:
    response = client.post("/sandbox/telegram/botwrong/sendMessage", json={"chat_id": 1, "text": "x"})
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert client.get("/sandbox/telegram/stats").json()["received"] == 0


@pytest.mark.parametrize(
    "body",
    [{"chat_id": 1, "text": ""}, {"chat_id": 1, "text": "x" * 4097}, {"text": "x"}, {"chat_id": 1.5, "text": "x"}],
    ids=["empty text", "text too long", "no chat", "chat not an integer"],
)
def test_malformed_messages_are_refused(client: TestClient, body: dict[str, object]) -> None:
    assert client.post(f"{BOT}/sendMessage", json=body).status_code == 422


def test_a_failing_bot_api_answers_503(client: TestClient) -> None:
    client.put("/sandbox/telegram/behaviour", json={"failure_rate": 1})
    assert client.post(f"{BOT}/sendMessage", json={"chat_id": 1, "text": "x"}).status_code == 503
    assert client.get("/sandbox/telegram/stats").json() == {"received": 1, "accepted": 0, "failed": 1}
