"""Bad input gets a clear 4xx problem+json and writes nothing, on both databases; never a 500."""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, Form, UploadFile
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlmodel import Field, select

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import ComponentDefinition, create_service_app
from quintet_shared.context import ClientDep
from quintet_shared.db import make_engine, model_base
from quintet_shared.deps import SessionDep
from quintet_shared.runtime import Runtime
from quintet_shared.settings import ComponentSettings
from quintet_shared.tables import kit_metadata
from quintet_shared.testing.gateway import signed_headers

NoteModel = model_base("NoteModel")


class Note(NoteModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    text: str = Field(max_length=200)
    amount: int


class NoteCreate(BaseModel):
    text: str
    amount: int


router = APIRouter()


@router.post("/notes/notes", status_code=201)
def create_note(body: NoteCreate, client: ClientDep, session: SessionDep) -> dict[str, int]:
    note = Note(client=client.client_code, text=body.text, amount=body.amount)
    session.add(note)
    session.commit()
    return {"id": note.id or 0}


@router.get("/notes/notes")
def find_notes(text: str, client: ClientDep, session: SessionDep) -> list[str]:
    return [n.text for n in session.exec(select(Note).where(Note.client == client.client_code, Note.text == text))]


@router.post("/notes/attachments", status_code=201)
def attach(title: Annotated[str, Form()], file: UploadFile, client: ClientDep, session: SessionDep) -> dict[str, int]:
    note = Note(client=client.client_code, text=f"{title}:{file.filename}", amount=len(file.file.read()))
    session.add(note)
    session.commit()
    return {"id": note.id or 0}


class Settings(ComponentSettings):
    max_body_bytes: int = 1024


DEFINITION = ComponentDefinition(
    name="notes",
    title="Notes",
    port=8999,
    settings_class=Settings,
    metadata=NoteModel.metadata,
    migrations=Path("unused"),
    app_factory="unused",
    routers=[router],
)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    engine = make_engine(database_url)
    NoteModel.metadata.create_all(engine)
    kit_metadata.create_all(engine)
    app = create_service_app(DEFINITION, Settings(), Runtime(engine=engine, bus=InMemoryBus()))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def signed(method: str, target: str) -> dict[str, str]:
    return signed_headers(Settings().gateway_secret, method=method, target=target, client="acme")


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"] and body["request_id"] == "req-1"
    assert "Traceback" not in response.text
    return body


def stored(client: TestClient) -> int:
    response = client.get("/notes/notes?text=ok", headers=signed("GET", "/notes/notes?text=ok"))
    assert response.status_code == 200
    return len(response.json())


def test_a_valid_note_is_stored(client: TestClient) -> None:
    response = client.post("/notes/notes", json={"text": "ok", "amount": 1}, headers=signed("POST", "/notes/notes"))
    assert response.status_code == 201, response.text
    assert stored(client) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": "nul\x00byte", "amount": 1}, 422),  # PostgreSQL refuses NUL in text
        ({"text": "x" * 2000, "amount": 1}, 413),  # over MAX_BODY_BYTES (1 KiB here)
        ({"text": "ok", "amount": "many"}, 422),  # wrong type
        ({"text": "ok", "amount": 2**70}, 422),  # out of range for the column
        ({"text": "ok"}, 422),  # missing field
    ],
)
def test_bad_bodies_get_a_problem_and_store_nothing(client: TestClient, body: dict, status: int) -> None:
    response = client.post("/notes/notes", json=body, headers=signed("POST", "/notes/notes"))
    assert_problem(response, status)
    assert stored(client) == 0


def test_validation_problems_name_their_fields(client: TestClient) -> None:
    response = client.post("/notes/notes", json={"text": 5}, headers=signed("POST", "/notes/notes"))
    body = assert_problem(response, 422)
    locations = {tuple(error["loc"]) for error in body["errors"]}
    assert ("body", "amount") in locations and ("body", "text") in locations


def test_malformed_json_and_nul_in_the_query_are_4xx(client: TestClient) -> None:
    raw = client.post(
        "/notes/notes",
        content=b'{"text": "ok", "amount": ',
        headers={**signed("POST", "/notes/notes"), "content-type": "application/json"},
    )
    assert_problem(raw, 422)
    target = "/notes/notes?text=a%00b"
    assert_problem(client.get(target, headers=signed("GET", target)), 422)


def test_a_chunked_body_over_the_limit_is_refused_while_reading(client: TestClient) -> None:
    def chunks():  # no content-length: the limit is enforced as the body streams in
        yield b'{"text": "'
        for _ in range(10):
            yield b"y" * 200
        yield b'", "amount": 1}'

    headers = {**signed("POST", "/notes/notes"), "content-type": "application/json"}
    assert_problem(client.post("/notes/notes", content=chunks(), headers=headers), 413)
    assert stored(client) == 0


def test_a_declared_length_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    headers = {**signed("POST", "/notes/notes"), "content-type": "application/json", "content-length": "999999"}
    response = client.post("/notes/notes", content=b"{}", headers=headers)
    assert_problem(response, 413)


class UploadSettings(Settings):
    def body_limits(self) -> dict[str, int]:
        return {"/notes/attachments": 8192}


def test_an_upload_path_has_its_own_body_limit_and_the_others_keep_theirs(database_url: str) -> None:
    engine = make_engine(database_url)
    NoteModel.metadata.create_all(engine)
    kit_metadata.create_all(engine)
    app = create_service_app(DEFINITION, UploadSettings(), Runtime(engine=engine, bus=InMemoryBus()))
    with TestClient(app, raise_server_exceptions=False) as client:
        files = {"file": ("a.txt", b"x" * 4000, "text/plain")}
        target = "/notes/attachments"
        accepted = client.post(target, data={"title": "t"}, files=files, headers=signed("POST", target))
        assert accepted.status_code == 201, accepted.text
        files = {"file": ("a.txt", b"x" * 9000, "text/plain")}
        assert_problem(client.post(target, data={"title": "t"}, files=files, headers=signed("POST", target)), 413)
        note = client.post(
            "/notes/notes", json={"text": "x" * 2000, "amount": 1}, headers=signed("POST", "/notes/notes")
        )
        assert_problem(note, 413)
    engine.dispose()


NUL_BODIES = [b'{"text": "nul\\u0000byte", "amount": 1}', b'{"text": "nul\x00byte", "amount": 1}']


@pytest.mark.parametrize("body", NUL_BODIES, ids=["escaped", "raw"])
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/vnd.api+json",  # FastAPI parses every +json type as JSON
        "Application/Problem+JSON",
        " application/merge-patch+json",
        None,  # no content type: FastAPI parses the body as JSON
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "made/up",
    ],
)
def test_defect_5_nul_guard_covers_every_body_whatever_its_content_type(
    client: TestClient, body: bytes, content_type: str | None
) -> None:
    headers = signed("POST", "/notes/notes")
    if content_type is not None:
        headers["content-type"] = content_type
    response = client.post("/notes/notes", content=body, headers=headers)
    assert_problem(response, 422)
    assert response.json()["detail"] == "NUL characters are not accepted."
    assert stored(client) == 0


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=x", "application/octet-stream"])
def test_defect_5_file_uploads_are_left_to_their_parsers(client: TestClient, content_type: str) -> None:
    # The route's own parsing answers (here: not a JSON object), not the guard.
    headers = {**signed("POST", "/notes/notes"), "content-type": content_type}
    response = client.post("/notes/notes", content=b"\x00" * 64, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"] != "NUL characters are not accepted."


def multipart(title: bytes, filename: bytes, content: bytes, boundary: bytes = b"Bound-ARY") -> tuple[bytes, str]:
    body = b"".join(
        [
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="title"\r\n\r\n' + title,
            b"\r\n--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="' + filename,
            b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content,
            b"\r\n--" + boundary + b"--\r\n",
        ]
    )
    return body, f"multipart/form-data; boundary={boundary.decode()}"


def attachments(client: TestClient) -> list[str]:
    response = client.get("/notes/notes?text=ok:a.bin", headers=signed("GET", "/notes/notes?text=ok:a.bin"))
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    ("title", "filename"),
    [(b"o\x00k", b"a.bin"), (b"ok", b"a\x00.bin"), (b"ok", b"a%00.bin")],
    ids=["in a field", "in a file name", "escaped in a file name"],
)
def test_defect_5_nul_guard_covers_multipart_fields_and_file_names(
    client: TestClient, title: bytes, filename: bytes
) -> None:
    body, content_type = multipart(title, filename, b"content")
    response = client.post(
        "/notes/attachments",
        content=body,
        headers={**signed("POST", "/notes/attachments"), "content-type": content_type},
    )
    assert_problem(response, 422)
    assert response.json()["detail"] == "NUL characters are not accepted."
    assert attachments(client) == []


def test_nul_in_a_multipart_file_content_is_its_parsers_business(client: TestClient) -> None:
    body, content_type = multipart(b"ok", b"a.bin", b"\x00" * 100)
    response = client.post(
        "/notes/attachments",
        content=body,
        headers={**signed("POST", "/notes/attachments"), "content-type": content_type},
    )
    assert response.status_code == 201, response.text
    assert attachments(client) == ["ok:a.bin"]
