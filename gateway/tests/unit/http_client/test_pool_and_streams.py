"""The upstream client's pool under concurrency, and bodies that stream both ways without piling up."""

import asyncio
import hashlib

import pytest

from gateway.forwarding import Forward, UpstreamBusy

MB = 1024 * 1024


async def test_the_pool_cap_holds_under_concurrency_and_waiters_get_freed_connections(serve, client, forward):
    async def slow(request, writer) -> bool:
        await asyncio.sleep(0.02)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        return True

    server = await serve(slow)
    upstream = client(server.url, max_connections=3)
    results = await asyncio.gather(*(forward(upstream) for _ in range(20)))
    assert {result.body for result in results} == {b"ok"}
    assert server.most_open == server.connections == 3
    assert len(server.requests) == 20


async def test_no_free_connection_in_time_is_503_with_a_retry_hint(serve, client, forward):
    async def hold(request, writer) -> bool:
        await asyncio.sleep(0.25)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        return True

    server = await serve(hold)
    upstream = client(server.url, max_connections=1, connect_timeout=0.1)
    busy = asyncio.ensure_future(forward(upstream))
    await asyncio.sleep(0.05)
    with pytest.raises(UpstreamBusy) as refused:
        await forward(upstream)
    assert (refused.value.status, dict(refused.value.headers)) == (503, {b"retry-after": b"1"})
    assert (await busy).status == 200
    assert (await forward(upstream)).status == 200  # the slot the refused request waited for is not lost


async def test_events_reach_the_caller_as_they_are_produced(serve, client, forward):
    first_delivered = asyncio.Event()

    async def events(request, writer) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(b"d\r\ndata: first\n\n\r\n")
        await asyncio.wait_for(first_delivered.wait(), 5)  # the next event only once the first arrived
        writer.write(b"e\r\ndata: second\n\n\r\n0\r\n\r\n")
        return True

    async def send(message):
        if message.get("body"):
            first_delivered.set()

    server = await serve(events)
    result = await forward(client(server.url), send=send)
    assert [message.get("body") for message in result.messages[1:]] == [b"data: first\n\n", b"data: second\n\n"]
    assert result.finished


async def test_a_large_response_streams_at_the_callers_pace_without_piling_up(serve, client, forward):
    block = bytes(range(256)) * 4096  # 1 MB
    total = 48
    written = 0

    async def large(request, writer) -> bool:
        nonlocal written
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (total * len(block)))
        for _ in range(total):
            writer.write(block)
            await writer.drain()  # blocks while the client does not read
            written += 1
        return True

    release = asyncio.Event()
    received = 0
    digest = hashlib.sha256()

    async def slow_caller(message):
        nonlocal received
        body = message.get("body", b"")
        digest.update(body)
        received += len(body)
        if received >= MB:
            await release.wait()

    server = await serve(large)
    call = asyncio.ensure_future(forward(client(server.url), send=slow_caller))
    await asyncio.sleep(0.3)
    # The caller holds the stream: the client stopped reading, so the service could not write it all
    # (what it did write sits in the sockets' buffers, a few megabytes, not in the gateway).
    assert received < 2 * MB and written < total / 2
    release.set()
    result = await asyncio.wait_for(call, 10)
    assert (received, result.finished) == (total * len(block), True)
    assert digest.hexdigest() == hashlib.sha256(block * total).hexdigest()
    assert len(result.messages) > 3  # streamed in pieces, not read whole


async def test_a_caller_hanging_up_stops_an_endless_stream_and_drops_its_connection(serve, client, forward):
    async def endless(request, writer) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while True:
            writer.write(b"5\r\ntick\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.01)

    server = await serve(endless)
    upstream = client(server.url)
    gone = asyncio.Event()
    messages: list[dict] = []

    async def send(message):
        messages.append(message)
        if len(messages) == 3:
            gone.set()

    async def receive():
        await gone.wait()
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "GET", "path": "/svc/events", "raw_path": b"/svc/events", "query_string": b""}
    request = Forward(headers=[(b"host", b"gateway.test")], request_id=b"r", has_body=False, target=b"/svc/events")
    assert await asyncio.wait_for(upstream.forward(request, scope, receive, send), 5) == 200
    assert messages[-1].get("more_body")  # cut off, not completed
    await asyncio.sleep(0.05)
    assert server.open == 0  # the rest of that response is unwanted: its connection is gone


@pytest.mark.parametrize("declared", [True, False])
async def test_an_upload_streams_at_the_services_pace(client, declared):
    block, total = b"u" * MB, 48
    release = asyncio.Event()
    seen = hashlib.sha256()

    async def slow_service(reader, writer) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        await release.wait()  # reads nothing of the body until released
        if declared:
            seen.update(await reader.readexactly(total * MB))
        else:
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                seen.update(await reader.readexactly(size))
                await reader.readexactly(2)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(head), head))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(slow_service, "127.0.0.1", 0)
    upstream = client(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    handed_out = 0

    async def receive() -> dict:
        nonlocal handed_out
        handed_out += 1
        return {"type": "http.request", "body": block, "more_body": handed_out < total}

    headers = [(b"host", b"gateway.test")] + ([(b"content-length", str(total * MB).encode())] if declared else [])
    request = Forward(headers=headers, request_id=b"r", has_body=True, target=b"/svc/up")
    scope = {"type": "http", "method": "POST", "path": "/svc/up", "raw_path": b"/svc/up", "query_string": b""}
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    call = asyncio.ensure_future(upstream.forward(request, scope, receive, send))
    await asyncio.sleep(0.3)
    # The service reads nothing: the client must stop taking the caller's body, bar what the
    # sockets' buffers hold (a few megabytes).
    assert handed_out < total / 2
    release.set()
    assert await asyncio.wait_for(call, 10) == 200
    server.close()
    assert seen.hexdigest() == hashlib.sha256(block * total).hexdigest()
    head = sent[1]["body"].decode()
    assert ("transfer-encoding: chunked" in head) is not declared
