"""The process's pool of outgoing HTTP connections for server-to-server calls (suppliers,
docked Kameng sites, payment gateways): httpx.Client is thread-safe and keeps the
connections to each host alive between calls; every caller gives its own headers and
timeout per request. A forked worker (Celery prefork) gets a pool of its own: it must
not share its parent's sockets."""

import os

import httpx


def _new() -> httpx.Client:
    # Redirects are not followed (httpx's default, said here): server to server, a
    # redirect is never the protocol's answer.
    return httpx.Client(
        follow_redirects=False,
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
    )


_client = _new()


def _after_fork() -> None:
    global _client
    _client = _new()


os.register_at_fork(after_in_child=_after_fork)


def client() -> httpx.Client:
    return _client
