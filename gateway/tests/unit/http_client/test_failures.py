"""The upstream client when the service or the caller misbehaves: what is retried, what becomes which problem."""

import asyncio
import logging
import socket
import time

import pytest

from gateway.forwarding import BadRequestBody, UpstreamTimeout, UpstreamUnavailable

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def answer_first_then_drop(request, writer) -> bool:
    """Answers a connection's first request; closes it under the second without a word, as a
    service does when its keep-alive timeout strikes just as a request arrives."""
    if request.number > 1:
        return False
    writer.write(OK)
    await writer.drain()
    return True


async def test_a_get_on_a_connection_closed_under_it_is_retried_once_on_a_new_one(serve, client, forward, caplog):
    server = await serve(answer_first_then_drop)
    upstream = client(server.url)
    await forward(upstream)
    with caplog.at_level(logging.INFO, logger="gateway.http_upstream"):
        result = await forward(upstream)
    assert (result.status, result.body) == (200, b"ok")
    assert [(r.method, r.connection, r.number) for r in server.requests] == [
        ("GET", 1, 1),
        ("GET", 1, 2),
        ("GET", 2, 1),
    ]
    assert "retrying" in caplog.text


@pytest.mark.parametrize(("method", "body"), [("POST", [b"payload"]), ("PUT", [b"payload"]), ("POST", None)])
async def test_not_retried_when_unsafe_or_the_body_is_spent(serve, client, forward, method, body):
    server = await serve(answer_first_then_drop)
    upstream = client(server.url)
    await forward(upstream)
    with pytest.raises(UpstreamUnavailable):
        await forward(upstream, method, body=body)
    assert len(server.requests) == 2  # never sent twice
    assert (await forward(upstream)).body == b"ok"  # and the pool is sound afterwards


async def test_a_new_connection_that_fails_is_not_retried(serve, client, forward):
    async def drop(request, writer) -> bool:
        return False

    server = await serve(drop)
    with pytest.raises(UpstreamUnavailable, match="unreachable"):
        await forward(client(server.url))
    assert len(server.requests) == 1


async def test_nobody_listening_is_502(client, forward):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(UpstreamUnavailable, match="unreachable"):
        await forward(client(f"http://127.0.0.1:{port}"))


async def test_silence_before_the_response_is_504(serve, client, forward):
    async def mute(request, writer) -> bool:
        await asyncio.sleep(5)
        return False

    server = await serve(mute)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        await forward(client(server.url, silence=0.2))
    assert 0.15 < time.monotonic() - started < 1.5


async def test_a_stall_inside_a_small_body_is_504_before_anything_is_sent(serve, client, forward):
    async def stall(request, writer) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        await asyncio.sleep(5)
        return False

    server = await serve(stall)
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    with pytest.raises(UpstreamTimeout):
        await forward(client(server.url, silence=0.2), send=send)
    assert sent == []  # so the proxy can still answer with a problem


async def test_a_stall_inside_a_streamed_body_cuts_the_response_short(serve, client, forward, caplog):
    async def stall(request, writer) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst \r\n")
        await writer.drain()
        await asyncio.sleep(5)
        return False

    server = await serve(stall)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="gateway.http_upstream"):
        result = await forward(client(server.url, silence=0.2))
    assert time.monotonic() - started < 1.5
    assert (result.status, result.body, result.finished) == (200, b"first ", False)  # never completed
    assert "broke off" in caplog.text


async def test_slow_but_steady_is_not_silence(serve, client, forward):
    async def trickle(request, writer) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(6):
            await asyncio.sleep(0.1)
            writer.write(b"1\r\n.\r\n")
        writer.write(b"0\r\n\r\n")
        return True

    server = await serve(trickle)
    result = await forward(client(server.url, silence=0.3))  # 0.6 s in all, never 0.3 s silent
    assert (result.body, result.finished) == (b"......", True)


async def test_a_response_broken_off_before_its_end_is_502(serve, client, forward):
    async def short(request, writer) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        return False

    server = await serve(short)
    with pytest.raises(UpstreamUnavailable):
        await forward(client(server.url))


@pytest.mark.parametrize(
    ("declared", "chunks", "detail"),
    [("4", [b"ab", b"cdef"], "longer"), ("10", [b"ab", b"cd"], "shorter"), ("x", [b"ab"], "not a number")],
)
async def test_a_body_unlike_its_declared_length_is_400(serve, client, forward, declared, chunks, detail):
    async def echo_length(request, writer) -> bool:
        writer.write(OK)
        return True

    server = await serve(echo_length)
    upstream = client(server.url)
    with pytest.raises(BadRequestBody, match=detail):
        await forward(upstream, "POST", body=chunks, headers=((b"content-length", declared.encode()),))
    assert server.requests == []  # the service never got a whole request to act on
    assert (await forward(upstream)).body == b"ok"


async def test_an_answer_before_the_whole_body_is_relayed(serve, client, forward):
    async def refuse_early(reader, writer) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\nConnection: close\r\n\r\ntoo big!")
        await writer.drain()
        await asyncio.sleep(0.2)  # reads none of the body, then hangs up
        writer.close()

    server = await asyncio.start_server(refuse_early, "127.0.0.1", 0)
    upstream = client(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    body = [b"x" * 1024 * 1024] * 64
    result = await forward(upstream, "POST", body=body, headers=((b"content-length", str(64 * 1024 * 1024).encode()),))
    server.close()
    assert (result.status, result.body) == (413, b"too big!")
