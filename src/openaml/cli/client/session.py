"""Which server the client commands talk to, with which keys, and the calls themselves.

Each setting is taken from the first place that has it:

=====================  ==========================  =============================================
setting                flag                        then
=====================  ==========================  =============================================
endpoint URL           ``--endpoint-url``          ``$OPENAML_ENDPOINT_URL``, the profile,
                                                   ``http://127.0.0.1:8080``
region (signing only)  ``--region``                ``$OPENAML_REGION``, the profile, ``us-east-1``
key pair               ``--access-key-id`` and     ``$OPENAML_ACCESS_KEY_ID`` +
                       ``--secret-access-key``     ``$OPENAML_SECRET_ACCESS_KEY``,
                                                   ``$AWS_ACCESS_KEY_ID`` +
                                                   ``$AWS_SECRET_ACCESS_KEY``, the profile
=====================  ==========================  =============================================

(the profile: :mod:`.profile`). A key pair is always taken whole from one place.

:class:`ServiceClient` makes API calls through the unchanged boto3 ``machinelearning`` client and calls
the extension endpoints under ``/openaml/v1/`` signed the same way (SigV4, service ``machinelearning``);
every failure becomes a :class:`~.errors.CliError` carrying the service's own message.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openaml.cli.client.errors import CliError, ExitCode, service_error
from openaml.cli.client.profile import DEFAULT_PROFILE, PROFILE_NAME_ENV, ProfileError, read_profile

DEFAULT_ENDPOINT_URL = "http://127.0.0.1:8080"
DEFAULT_REGION = "us-east-1"
SERVICE_NAME = "machinelearning"
EXTENSION_PREFIX = "/openaml/v1"
_CREDENTIAL_ENVIRONMENTS = (
    ("OPENAML_ACCESS_KEY_ID", "OPENAML_SECRET_ACCESS_KEY"),
    ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
)
_EXTENSION_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class ConnectionFlags:
    """What the command line said about the connection (``None``: not given)."""

    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str | None = None
    profile: str | None = None

    @property
    def profile_name(self) -> str:
        return self.profile or os.environ.get(PROFILE_NAME_ENV) or DEFAULT_PROFILE

    def profile_fields(self) -> dict[str, str]:
        try:
            return read_profile(self.profile_name)
        except ProfileError as error:
            raise CliError(str(error), ExitCode.USAGE) from error


@dataclass(frozen=True)
class Connection:
    """A server and the key pair to sign requests to it with."""

    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str = DEFAULT_REGION


def resolve_endpoint(flags: ConnectionFlags) -> tuple[str, str]:
    """The endpoint URL and where it came from (``flag``, ``environment``, ``profile``, ``default``)."""
    for value, source in (
        (flags.endpoint_url, "flag"),
        (os.environ.get("OPENAML_ENDPOINT_URL"), "environment"),
        (flags.profile_fields().get("endpoint_url"), "profile"),
    ):
        if value:
            return value.rstrip("/"), source
    return DEFAULT_ENDPOINT_URL, "default"


def resolve_credentials(flags: ConnectionFlags) -> tuple[str, str] | None:
    """The key pair from the first place that has one whole, or ``None``."""
    if bool(flags.access_key_id) != bool(flags.secret_access_key):
        raise CliError("Give --access-key-id and --secret-access-key together.", ExitCode.USAGE)
    if flags.access_key_id and flags.secret_access_key:
        return flags.access_key_id, flags.secret_access_key
    for key_variable, secret_variable in _CREDENTIAL_ENVIRONMENTS:
        key, secret = os.environ.get(key_variable), os.environ.get(secret_variable)
        if key and secret:
            return key, secret
    profile = flags.profile_fields()
    if profile.get("access_key_id") and profile.get("secret_access_key"):
        return profile["access_key_id"], profile["secret_access_key"]
    return None


def resolve_region(flags: ConnectionFlags) -> str:
    return (
        flags.region
        or os.environ.get("OPENAML_REGION")
        or flags.profile_fields().get("region")
        or DEFAULT_REGION
    )


def resolve_connection(flags: ConnectionFlags) -> Connection:
    """The connection the flags, the environment and the profile describe; fails when no keys are found."""
    endpoint_url, _ = resolve_endpoint(flags)
    credentials = resolve_credentials(flags)
    if credentials is None:
        raise CliError(
            f"No credentials for {endpoint_url}. Pass --access-key-id and --secret-access-key, set "
            "OPENAML_ACCESS_KEY_ID and OPENAML_SECRET_ACCESS_KEY, or run `openaml login` once "
            "(`openaml serve` prints the key pair on first start).",
            ExitCode.CONNECTION,
        )
    return Connection(endpoint_url, credentials[0], credentials[1], resolve_region(flags))


def _operation_name(method: str) -> str:
    """``get_ml_model`` → ``GetMLModel``, the name people see in the API reference."""
    special = {"ml": "ML", "s3": "S3", "rds": "RDS"}
    return "".join(special.get(part, part.capitalize()) for part in method.split("_"))


class ServiceClient:
    """One server's API (through boto3) and extension endpoints (signed HTTP), with readable failures."""

    def __init__(self, connection: Connection) -> None:
        import boto3
        from botocore.config import Config

        self.connection = connection
        self.boto3_client: Any = boto3.client(
            SERVICE_NAME,
            endpoint_url=connection.endpoint_url,
            region_name=connection.region,
            aws_access_key_id=connection.access_key_id,
            aws_secret_access_key=connection.secret_access_key,
            config=Config(
                retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=120
            ),
        )

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Call the boto3 client's ``method`` (e.g. ``"get_ml_model"``); the response without its metadata."""
        from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

        try:
            response: dict[str, Any] = getattr(self.boto3_client, method)(**params)
        except ClientError as error:
            details = error.response.get("Error", {})
            raise service_error(
                str(details.get("Code", "Error")), str(details.get("Message", "")), _operation_name(method)
            ) from error
        except ParamValidationError as error:
            raise CliError(f"{_operation_name(method)}: {error}", ExitCode.USAGE) from error
        except BotoCoreError as error:
            raise self._unreachable(error) from error
        response.pop("ResponseMetadata", None)
        return response

    def paginate(
        self, method: str, key: str, limit: int | None = None, **params: Any
    ) -> list[dict[str, Any]]:
        """Every item (at most ``limit``) of the ``key`` list of a paginated ``Describe*`` method."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while limit is None or len(items) < limit:
            page = self.call(method, **params, **({"NextToken": token} if token else {}))
            items.extend(page.get(key, []))
            token = page.get("NextToken")
            if not token:
                break
        return items[:limit] if limit is not None else items

    def _unreachable(self, error: Exception) -> CliError:
        return CliError(
            f"Cannot reach OpenAML at {self.connection.endpoint_url}: {error}\n"
            "Start it with `openaml serve`, or point at it with --endpoint-url, $OPENAML_ENDPOINT_URL "
            "or `openaml login`.",
            ExitCode.CONNECTION,
        )

    def _signed_request(self, method: str, path: str, body: bytes | None) -> urllib.request.Request:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        url = self.connection.endpoint_url + EXTENSION_PREFIX + urllib.parse.quote(path)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        credentials = Credentials(self.connection.access_key_id, self.connection.secret_access_key)
        SigV4Auth(credentials, SERVICE_NAME, self.connection.region).add_auth(request)
        return urllib.request.Request(url, data=body, headers=dict(request.headers.items()), method=method)

    def _open(self, method: str, path: str, body: bytes | None = None) -> Any:
        action = f"{method} {EXTENSION_PREFIX}{path}"
        try:
            return urllib.request.urlopen(
                self._signed_request(method, path, body), timeout=_EXTENSION_TIMEOUT_SECONDS
            )
        except urllib.error.HTTPError as error:
            raise _extension_error(error, action) from error
        except OSError as error:
            raise self._unreachable(error) from error

    def get_json(self, path: str) -> Any:
        """``GET /openaml/v1<path>``, decoded."""
        with self._open("GET", path) as response:
            return json.loads(response.read())

    def post_json(self, path: str, payload: Any) -> Any:
        """``POST /openaml/v1<path>`` with a JSON body, decoded."""
        with self._open("POST", path, json.dumps(payload).encode("utf-8")) as response:
            return json.loads(response.read())

    def put_json(self, path: str, payload: Any) -> Any:
        """``PUT /openaml/v1<path>`` with a JSON body, decoded."""
        with self._open("PUT", path, json.dumps(payload).encode("utf-8")) as response:
            return json.loads(response.read())

    def delete_json(self, path: str) -> Any:
        """``DELETE /openaml/v1<path>``, decoded."""
        with self._open("DELETE", path) as response:
            return json.loads(response.read())

    def get_text(self, path: str) -> str:
        """``GET /openaml/v1<path>`` as text (logs)."""
        with self._open("GET", path) as response:
            return bytes(response.read()).decode("utf-8", errors="replace")

    def download(self, path: str, target: Path) -> int:
        """Stream ``GET /openaml/v1<path>`` into ``target``; the number of bytes written."""
        with self._open("GET", path) as response, target.open("wb") as handle:
            shutil.copyfileobj(response, handle)
        return target.stat().st_size


def _extension_error(error: urllib.error.HTTPError, action: str) -> CliError:
    """The service's ``{"__type", "message"}`` envelope of a failed extension call as a CLI error."""
    try:
        envelope = json.loads(error.read())
    except ValueError:
        envelope = None
    if isinstance(envelope, dict) and "__type" in envelope:
        return service_error(str(envelope["__type"]), str(envelope.get("message", "")), action)
    return CliError(f"{action}: HTTP {error.code} {error.reason}", ExitCode.REFUSED)
