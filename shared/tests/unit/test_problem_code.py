"""A Problem's machine-readable `code` reaches the problem+json body; without one the body has none."""

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient

from quintet_shared.errors import Conflict, install_problem_handlers


def test_a_problem_code_is_in_the_body_only_when_given() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/coded")
    def coded() -> None:
        raise Conflict("The last unit is taken.", code="sold_out")

    @app.get("/plain")
    def plain() -> None:
        raise Conflict("Conflict.")

    with TestClient(app) as client:
        coded_answer = client.get("/coded")
        plain_answer = client.get("/plain")
    assert coded_answer.status_code == 409
    assert coded_answer.headers["content-type"] == "application/problem+json"
    assert json.loads(coded_answer.text)["code"] == "sold_out"
    assert "code" not in plain_answer.json()
