"""Free ports for servers a test starts (never fixed ones: tests and benches run side by side)."""

import socket


def free_port_pair(offset: int) -> int:
    """A port P such that P and P + `offset` are both free (a platform and its sandbox, say)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + offset < 65536:
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + offset))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free ports")
