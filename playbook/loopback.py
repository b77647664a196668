"""Listening sockets for the servers the playbook starts (`playbook serve`, the fault proxy)."""

from __future__ import annotations

import socket

from playbook.errors import PlaybookError


def listen(host: str, port: int, remedy: str = "choose another --port or --host") -> socket.socket:
    """A bound listening socket (port 0: a free one); a port in use or a bad host is a
    PlaybookError that ends with `remedy`."""
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        # the protocol named, not 0: asyncio sets TCP_NODELAY only on sockets whose proto is
        # IPPROTO_TCP, and without it a keep-alive client waits ~40 ms on every reply (Nagle
        # holding the body back for the delayed ACK of the headers)
        sock = socket.socket(info[0], socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(info[4])
        sock.listen(128)
    except OSError as exc:
        raise PlaybookError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): {remedy}"
        ) from None
    return sock
