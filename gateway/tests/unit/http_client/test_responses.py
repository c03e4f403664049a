"""The upstream client against a raw HTTP/1.1 server: response framing, headers and connection reuse."""

import asyncio

import pytest

from gateway.forwarding import UpstreamUnavailable

JSON = b'{"status": "ok"}'


def answer_with(*raw: bytes, keep_open: bool = True):
    """A handler sending each raw answer in turn, one per request."""
    answers = list(raw)

    async def handler(request, writer) -> bool:
        writer.write(answers.pop(0) if len(answers) > 1 else answers[0])
        await writer.drain()
        return keep_open

    return handler


async def test_a_length_framed_response_and_its_connection_serves_the_next_request(serve, client, forward, response):
    plain = response("200 OK", ["Content-Type: application/json", f"Content-Length: {len(JSON)}", "Date: x"], JSON)
    server = await serve(answer_with(plain))
    upstream = client(server.url)
    first = await forward(upstream)
    second = await forward(upstream)
    assert (first.status, first.body, first.finished) == (200, JSON, True)
    assert first.headers == [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(JSON)).encode()),
        (b"x-request-id", b"rid-1"),  # added: the service sent none
    ]
    assert second.body == JSON
    assert [(r.connection, r.number) for r in server.requests] == [(1, 1), (1, 2)]


async def test_the_request_goes_out_as_the_proxy_made_it(serve, client, forward, response):
    server = await serve(answer_with(response("204 No Content", [])))
    await forward(client(server.url), "DELETE", "/svc/items/7", headers=((b"x-client-code", b"acme"),))
    [seen] = server.requests
    assert (seen.method, seen.target) == ("DELETE", "/svc/items/7")
    assert seen.headers == [("host", "gateway.test"), ("x-client-code", "acme")]


async def test_connection_close_is_honoured(serve, client, forward, response):
    closing = response("200 OK", ["Content-Length: 2", "Connection: close"], b"hi")
    server = await serve(answer_with(closing))  # the server even leaves it open: the client must not
    upstream = client(server.url)
    assert (await forward(upstream)).body == b"hi"
    assert (await forward(upstream)).body == b"hi"
    assert [r.connection for r in server.requests] == [1, 2]


async def test_a_chunked_response_is_de_chunked_and_the_connection_reused(serve, client, forward, response):
    chunked = response("200 OK", ["Transfer-Encoding: chunked"], b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n")
    server = await serve(answer_with(chunked))
    upstream = client(server.url)
    result = await forward(upstream)
    assert result.body == b"hello world"
    assert b"transfer-encoding" not in dict(result.headers)
    await forward(upstream)
    assert [r.connection for r in server.requests] == [1, 1]


async def test_head_has_no_body_whatever_its_length_says(serve, client, forward, response):
    head = response("200 OK", ["Content-Length: 1000"])
    plain = response("200 OK", ["Content-Length: 2"], b"ok")
    server = await serve(answer_with(head, plain))
    upstream = client(server.url)
    result = await forward(upstream, "HEAD")
    assert (result.status, result.body, dict(result.headers)[b"content-length"]) == (200, b"", b"1000")
    assert (await forward(upstream)).body == b"ok"  # the parser did not wait for those 1000 bytes
    assert [r.connection for r in server.requests] == [1, 1]


@pytest.mark.parametrize("status", ["204 No Content", "304 Not Modified"])
async def test_204_and_304_have_no_body(serve, client, forward, response, status):
    server = await serve(
        answer_with(response(status, ["Content-Length: 10", "ETag: x"]), response("200 OK", ["Content-Length: 0"]))
    )
    upstream = client(server.url)
    result = await forward(upstream)
    assert (result.body, result.finished) == (b"", True)
    assert b"content-length" not in dict(result.headers)  # the gateway's server would wait for 10 bytes
    await forward(upstream)
    assert [r.connection for r in server.requests] == [1, 1]


async def test_informational_responses_are_passed_over(serve, client, forward, response):
    early = response("100 Continue", []) + response("103 Early Hints", ["Link: </a.css>"])
    server = await serve(answer_with(early + response("201 Created", ["Content-Length: 2"], b"ok")))
    result = await forward(client(server.url), "PUT", body=[b"data"])
    assert (result.status, result.body) == (201, b"ok")
    assert b"link" not in dict(result.headers)


async def test_repeated_headers_keep_every_value_in_order(serve, client, forward, response):
    cookies = ["Set-Cookie: a=1; Path=/", "Set-Cookie: b=2", "X-Request-Id: from-service", "Content-Length: 0"]
    server = await serve(answer_with(response("200 OK", cookies)))
    result = await forward(client(server.url))
    assert [value for name, value in result.headers if name == b"set-cookie"] == [b"a=1; Path=/", b"b=2"]
    assert [value for name, value in result.headers if name == b"x-request-id"] == [b"from-service"]


async def test_a_body_without_framing_runs_to_the_end_of_the_connection(serve, client, forward, response):
    server = await serve(answer_with(response("200 OK", ["Content-Type: text/plain"], b"all of it"), keep_open=False))
    upstream = client(server.url)
    assert (await forward(upstream)).body == b"all of it"
    assert (await forward(upstream)).body == b"all of it"
    assert [r.connection for r in server.requests] == [1, 2]


async def test_an_idle_connection_the_service_closed_is_dropped_before_reuse(serve, client, forward, response):
    # Keep-alive by the headers, then closed by the server: the client sees the EOF while idle.
    server = await serve(answer_with(response("200 OK", ["Content-Length: 2"], b"ok"), keep_open=False))
    upstream = client(server.url)
    await forward(upstream)
    await asyncio.sleep(0.05)
    assert (await forward(upstream)).body == b"ok"
    assert [(r.connection, r.number) for r in server.requests] == [(1, 1), (2, 1)]  # no failed attempt


async def test_gibberish_is_502(serve, client, forward):
    server = await serve(answer_with(b"SMTP ready\r\n\r\n"))
    with pytest.raises(UpstreamUnavailable, match="invalid response"):
        await forward(client(server.url))


async def test_the_small_get_for_health_and_documents(serve, client, response):
    server = await serve(answer_with(response("200 OK", ["Content-Length: 2"], b"{}")))
    assert await client(server.url + "/base").get("/health/ready") == (200, b"{}")
    assert server.requests[0].target == "/base/health/ready"
