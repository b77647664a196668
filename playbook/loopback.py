"""Listening sockets for the servers the playbook starts (`playbook serve`, the fault proxy)."""

from __future__ import annotations

import socket

from playbook.errors import PlaybookError


def listen(host: str, port: int, remedy: str = "choose another --port or --host") -> socket.socket:
    """A bound listening socket (port 0: a free one); a port in use or a bad host is a
    PlaybookError that ends with `remedy`."""
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(info[4])
        sock.listen(128)
    except OSError as exc:
        raise PlaybookError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): {remedy}"
        ) from None
    return sock
