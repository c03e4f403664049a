from gateway.forwarding import response_headers


def test_response_headers_drop_hop_by_hop_and_keep_the_services_request_id():
    raw = [
        (b"Content-Type", b"application/json"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Connection", b"keep-alive"),
        (b"Date", b"yesterday"),
        (b"Server", b"uvicorn"),
        (b"Content-Encoding", b"gzip"),
        (b"X-Request-Id", b"from-service"),
    ]
    assert response_headers(raw, b"ours") == [
        (b"content-type", b"application/json"),
        (b"content-encoding", b"gzip"),
        (b"x-request-id", b"from-service"),
    ]


def test_response_headers_add_the_request_id_when_missing():
    assert response_headers([], b"ours") == [(b"x-request-id", b"ours")]
