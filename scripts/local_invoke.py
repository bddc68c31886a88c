#!/usr/bin/env python3
"""Lambda's Invoke API for the local AWS, which stores functions but cannot run them.

moto's server answers `aws lambda invoke` without running the code (that needs
Docker). This small server answers the Invoke call itself: it looks the
function up on the local AWS and calls ``lambda_function.handler`` in-process
with the function's environment variables and its role's credentials, as
scripts/local_lambda.py does for S3 events. Point only `aws lambda invoke` at
it; everything else goes to the local AWS as before:

    python scripts/local_invoke.py --port 5056 &
    aws lambda invoke --endpoint-url http://127.0.0.1:5056 \\
        --function-name NAME --payload fileb://event.json response.json

It answers as Lambda does: StatusCode 200 with the handler's result, or 200
with FunctionError "Unhandled" and the error as the payload when the handler
raises; TooManyRequestsException (429) while the function's reserved
concurrency is 0; Lambda's KMS errors (502) while the key of the function's
environment cannot decrypt. Event invocations run before the 202 is sent, and
a failed one is not retried (Lambda would retry it twice).

It talks to the endpoint in AWS_ENDPOINT_URL and refuses to run without one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError
from local_lambda import (
    KMS_DISABLED,
    LocalContext,
    invoke_error,
    load_handler,
    reserved_concurrency,
    role_environment,
)

INVOKE_PATH = "/2015-03-31/functions/"


class Invoker:
    """Runs one deployed function's handler, loaded once like a warm container."""

    def __init__(self, session: boto3.Session | None = None) -> None:
        session = session or boto3.Session()
        self._lam, self._kms, self._sts = (session.client(s) for s in ("lambda", "kms", "sts"))
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()  # one invocation at a time: a laptop, not a fleet

    def invoke(self, function_name: str, payload: bytes) -> tuple[int, dict[str, str], bytes]:
        """(HTTP status, headers, body) of Lambda's answer to a synchronous Invoke."""
        function = self._lam.get_function_configuration(FunctionName=function_name)
        refused = invoke_error(self._kms, function)
        if refused:
            code = refused.split(":", 1)[0]
            return _error(502, code, refused, "KMS" if refused == KMS_DISABLED else "User")
        if reserved_concurrency(self._lam, function["FunctionName"]) == 0:
            return _error(
                429,
                "TooManyRequestsException",
                "Rate Exceeded.",
                reason="ReservedFunctionConcurrentInvocationLimitExceeded",
            )
        try:
            event = json.loads(payload or b"{}")
        except ValueError:
            return _error(400, "InvalidRequestContentException", "Could not parse request body")
        context = LocalContext(
            memory_limit_in_mb=str(function["MemorySize"]),
            timeout_ms=function["Timeout"] * 1000,
            function_name=function["FunctionName"],
        )
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        with self._lock:
            handler = self._handler(function)
            try:
                result = handler(event, context)
            except Exception as e:  # noqa: BLE001 - returned as Lambda returns it
                body = {
                    "errorMessage": str(e),
                    "errorType": type(e).__name__,
                    "requestId": context.aws_request_id,
                    "stackTrace": traceback.format_exception(e)[-5:],
                }
                return 200, headers | {"X-Amz-Function-Error": "Unhandled"}, _json(body)
        return 200, headers, _json(result)

    def _handler(self, function: dict[str, Any]) -> Callable[..., Any]:
        name = function["FunctionName"]
        if name not in self._handlers:
            if self._handlers:
                raise RuntimeError("one function per local_invoke.py process")
            environment = function.get("Environment", {}).get("Variables", {})
            self._handlers[name] = load_handler(environment | role_environment(self._sts, function))
        return self._handlers[name]


def _json(value: Any) -> bytes:
    return json.dumps(value, default=str).encode()


def _error(
    status: int, code: str, message: str, kind: str = "User", reason: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    body: dict[str, str] = {"Type": kind, "message": message}
    if reason:
        body["Reason"] = reason
    return status, {"x-amzn-ErrorType": code}, _json(body)


def make_server(port: int, invoker: Invoker) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            if not (path.startswith(INVOKE_PATH) and path.endswith("/invocations")):
                self._send(*_error(404, "ResourceNotFoundException", f"no route {path}"))
                return
            name = unquote(path[len(INVOKE_PATH) : -len("/invocations")])
            payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
            if kind == "DryRun":
                self._send(204, {}, b"")
                return
            try:
                status, headers, body = invoker.invoke(name, payload)
            except ClientError as e:
                error = e.response["Error"]
                http = e.response["ResponseMetadata"].get("HTTPStatusCode", 400)
                self._send(*_error(http, error["Code"], error.get("Message", "")))
                return
            outcome = headers.get("X-Amz-Function-Error") or (
                "ok" if status == 200 else json.loads(body).get("message")
            )
            print(f"invoke {name} ({kind}) -> {status} {outcome}", file=sys.stderr)
            if kind == "Event" and status == 200:
                self._send(202, {}, b"")
            else:
                self._send(status, headers, body)

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per invocation is printed above instead

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Requires AWS_ENDPOINT_URL (the local AWS). Stop it with Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 to listen on")
    args = parser.parse_args()
    if not os.environ.get("AWS_ENDPOINT_URL"):
        parser.error("AWS_ENDPOINT_URL is not set: this server only runs against the local AWS")
    try:
        server = make_server(args.port, Invoker())
    except OSError as e:
        parser.exit(1, f"error: cannot listen on 127.0.0.1:{args.port}: {e.strerror}\n")
    print(f"Lambda Invoke for the local AWS on http://127.0.0.1:{args.port}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
