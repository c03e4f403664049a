"""A page number so large that its row offset overflows 64 bits got a 422 from the database's
refusal, or a 500; it is now refused as a parameter, and the document says the bound."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from quintet_shared.deps import PageDep, PageSizeDep
from quintet_shared.errors import install_problem_handlers
from quintet_shared.pagination import MAX_PAGE

app = FastAPI()
install_problem_handlers(app)


@app.get("/things")
def things(page: PageDep = 1, page_size: PageSizeDep = 50) -> dict[str, int]:
    return {"offset": (page - 1) * page_size}


def test_a_page_whose_offset_overflows_64_bits_is_an_invalid_parameter() -> None:
    client = TestClient(app)
    assert client.get("/things", params={"page": MAX_PAGE, "page_size": 500}).json()["offset"] < 2**63
    response = client.get("/things", params={"page": 256606634889147981678814713037717504, "page_size": 320})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "page"]
    page = next(p for p in app.openapi()["paths"]["/things"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"]["maximum"] == MAX_PAGE
