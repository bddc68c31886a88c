"""Resolve *.localhost to 127.0.0.1 in the Prowler process that scripts/audit.sh starts.

Prowler's S3 Control calls go to ``<account-id>.localhost`` when the endpoint
is ``http://localhost:<port>`` (botocore puts the account id in front of the
host). RFC 6761 reserves ``.localhost`` for loopback, but glibc resolves only
``localhost`` itself unless nss-myhostname is installed. audit.sh puts this
directory on PYTHONPATH for Prowler alone, so nothing else on the machine
(no /etc/hosts entry, no root) is changed.
"""

import socket
from typing import Any

_getaddrinfo = socket.getaddrinfo


def _getaddrinfo_localhost(
    host: bytes | str | None, *args: Any, **kwargs: Any
) -> list[tuple[Any, ...]]:
    if isinstance(host, bytes):
        host = host.decode()
    if isinstance(host, str) and host.endswith(".localhost"):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo_localhost
