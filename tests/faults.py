"""Fault injection inside botocore's retry loop, for any boto3 client.

A fault replaces one HTTP attempt, not the whole call: botocore's retry
handler sees it as it would see AWS's answer and retries (the function's
``AWS_CONFIG``: standard mode, ``max_attempts`` 3 retries, so four attempts per
call), so "one throttle" is absorbed by the SDK while "every attempt
throttled" reaches the code as a ``ClientError``.

    faults = FaultInjector(Fault("PutObject", "SlowDown", times=4)).install(s3)
    ...
    assert faults.injected["PutObject"] == 4

Three kinds of fault:

* an AWS error code (``"ThrottlingException"``, ``"SlowDown"``, ``"InternalError"``,
  ``"KeyTooLongError"`` ...): an error response in the client's own protocol,
  and the service does nothing;
* ``TIMEOUT``: the connection times out, the service never sees the request;
* ``LOST_RESPONSE``: the service does the work, then the response is lost (a
  read timeout). In-process moto only; against a server it acts like TIMEOUT.

Faults fire for the ``times`` matching attempts after the first ``after``, or
at random with probability ``rate`` (seeded, for soak tests). ``operation="*"``
matches every call of the client.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

TIMEOUT = "timeout"
LOST_RESPONSE = "lost_response"
#: Where a faulted request is pointed so that moto's in-process stub, which
#: runs after us, finds nothing to serve (and a real server is never called).
_NOWHERE = "http://fault-injected.invalid/"
_DEFAULT_STATUS = {"SlowDown": 503, "ServiceUnavailable": 503, "RequestTimeout": 400}


@dataclass
class Fault:
    operation: str = "*"
    error: str = "ThrottlingException"
    times: int = 1
    after: int = 0
    rate: float = 0.0
    status: int | None = None
    _matched: int = field(default=0, repr=False)

    def fires(self, operation: str, rng: random.Random) -> bool:
        if self.operation not in ("*", operation):
            return False
        if self.rate:
            return rng.random() < self.rate
        self._matched += 1
        return self.after < self._matched <= self.after + self.times

    def http_status(self) -> int:
        if self.status is not None:
            return self.status
        if "Internal" in self.error:
            return 500
        return _DEFAULT_STATUS.get(self.error, 400)


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self._data


class FaultInjector:
    def __init__(self, *faults: Fault, seed: int = 0) -> None:
        self.faults = list(faults)
        self.attempts: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(seed)

    def install(self, *clients: Any) -> FaultInjector:
        for client in clients:
            protocol = client.meta.service_model.resolved_protocol
            events = client.meta.events
            # On "before-send" itself, where moto's in-process stub is registered,
            # so that "first" and "last" are before and after it.
            events.register_first(
                "before-send",
                lambda request, event_name, p=protocol, **_: self._before(request, event_name, p),
            )
            events.register_last("before-send", self._after)
        return self

    def _before(
        self, request: AWSPreparedRequest, event_name: str, protocol: str
    ) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        self.attempts[operation] += 1
        fault = next((f for f in self.faults if f.fires(operation, self._rng)), None)
        if fault is None:
            return None
        self.injected[operation] += 1
        if fault.error == TIMEOUT:
            raise ConnectTimeoutError(endpoint_url=request.url)
        if fault.error == LOST_RESPONSE:
            request.fault_lost_response = True  # type: ignore[attr-defined]
            return None
        response = _error_response(protocol, fault.error, fault.http_status(), request.url)
        request.url = _NOWHERE
        return response

    @staticmethod
    def _after(request: AWSPreparedRequest, **_: Any) -> None:
        if getattr(request, "fault_lost_response", False):
            raise ReadTimeoutError(endpoint_url=request.url)


def _error_response(protocol: str, code: str, status: int, url: str) -> AWSResponse:
    message = "injected by tests/faults.py"
    headers = {"x-amzn-RequestId": "fault-injected", "x-amz-request-id": "fault-injected"}
    if protocol in ("json", "rest-json"):
        headers |= {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}
        body = json.dumps({"__type": code, "message": message}).encode()
    elif protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>fault-injected</RequestId>"
            "</ErrorResponse>"
        ).encode()
    else:  # rest-xml (S3)
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>fault-injected</RequestId></Error>"
        ).encode()
    # botocore wraps any mapping of headers in its HeadersDict; its stubs name HTTPHeaders.
    return AWSResponse(url, status, headers, _Body(body))  # type: ignore[arg-type]
