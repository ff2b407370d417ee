"""`make api-check`: Schemathesis against a live `secretsmith serve` (docs/openapi.yaml).

The test starts the bundled emulator (seeded with a few secrets, one version disabled) and
`secretsmith serve` in front of it on loopback, with a static tokens file, the SSRF guard
header and a Pub/Sub push endpoint whose keys are a local JWKS file, then runs
`schemathesis run` three times:

1. with the valid static token (and a valid push token for `/v1/events/pubsub`), every
   check: no 5xx, every answer's status, content type, headers and body as the document
   says, schema-valid requests accepted and invalid ones rejected, authentication enforced
   (Schemathesis' `ignored_auth` retries without and with a wrong token);
2. without any token, and 3. with a wrong token: no 5xx, answers as documented, and never
   a 2xx on an operation that requires a token (`hooks.py`, `authentication_never_bypassed`).

Environment:
- SECRETSMITH_BIN: the binary (default `.build/debug/secretsmith` in the repository).
- SECRETSMITH_API_CHECK_EXAMPLES: Hypothesis examples per operation (default 60).
- SECRETSMITH_API_CHECK_MAX_TIME: seconds the run with the valid token may take (default 60;
  the runs without and with a wrong token get half each).
- SECRETSMITH_API_CHECK_SEED: Schemathesis' seed (default 16, so that `make test` repeats
  itself; empty for a random one, printed in the output).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

REPOSITORY = Path(__file__).resolve().parents[2]
DOCUMENT = REPOSITORY / "docs" / "openapi.yaml"
HERE = Path(__file__).resolve().parent
EXAMPLES = int(os.environ.get("SECRETSMITH_API_CHECK_EXAMPLES", "60"))
MAX_TIME = int(os.environ.get("SECRETSMITH_API_CHECK_MAX_TIME", "60"))
HYPOTHESIS_SEED = os.environ.get("SECRETSMITH_API_CHECK_SEED", "16")
TOKEN = "api-check-token-0123456789"
OTHER_TOKEN = "api-check-other-0123456789"
PUSH_AUDIENCE = "https://secretsmith.test/v1/events/pubsub"
PUSH_ACCOUNT = "pubsub-push@acme-app-dev.iam.gserviceaccount.com"
GUARD_HEADER = "X-Secretsmith-Request"


def binary_path() -> Path:
    return Path(os.environ.get("SECRETSMITH_BIN") or REPOSITORY / ".build" / "debug" / "secretsmith").resolve()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def push_token_and_jwks() -> tuple[str, dict]:
    """A Google-style OIDC token for the push endpoint, signed by a fresh RSA key, and that key's JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": "api-check",
        "n": _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": _b64url(numbers.e.to_bytes(3, "big")),
    }
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": "api-check"}
    claims = {
        "iss": "https://accounts.google.com", "aud": PUSH_AUDIENCE, "sub": "1234567890",
        "email": PUSH_ACCOUNT, "email_verified": True, "iat": now, "exp": now + 3600,
    }
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}", {"keys": [jwk]}


EMULATOR_SEED = """\
projects:
  acme-app-dev:
    number: 424242424242
    secrets:
      db-password:
        versions:
          - data_base64: "ZGV2LXB3"
            state: ENABLED
      config:
        versions:
          - data_base64: "eyJkYiI6IHsiaG9zdCI6ICJkYi5leGFtcGxlIiwgInBvcnQiOiA1NDMyfX0="
            state: ENABLED
      retired:
        versions:
          - data_base64: "b2xk"
            state: ENABLED
          - data_base64: "bmV3"
            state: DISABLED
  acme-app-prod:
    number: 515151515151
    secrets:
      db-password:
        versions:
          - data_base64: "cHJvZC1wdw=="
            state: ENABLED
"""

CONFIGURATION = f"""\
version: 1
defaults:
  cache: {{ ttl: 5m }}
environments:
  dev:
    projects:
      app:
        project_id: acme-app-dev
        secrets: {{ db-password: {{}}, config: {{}}, retired: {{}} }}
      undeclared:
        project_id: acme-app-dev
        location: europe-west1
        allow_undeclared: true
  prod:
    projects:
      app:
        project_id: acme-app-prod
        secrets: {{ db-password: {{}} }}
outputs:
  - name: app-env
    path: app.env
    format: dotenv
    environment: dev
    values:
      DB_PASSWORD: app/db-password
      DB_HOST: "app/config#/db/host"
  - name: app-json
    path: app.json
    format: json
    environment: dev
    values:
      DB_PASSWORD: app/db-password
  - name: prod-env
    path: prod.env
    format: dotenv
    environment: prod
    values:
      DB_PASSWORD: app/db-password
serve:
  required_header: {GUARD_HEADER}
  authentication:
    static_tokens_file: tokens
  pubsub_push:
    audience: {PUSH_AUDIENCE}
    service_account_email: {PUSH_ACCOUNT}
    jwks_file: jwks.json
  policy:
    - principals: ["token:ci"]
      allow: ["dev/*/*"]
    - principals: ["token:other"]
      allow: ["prod/app/db-password"]
"""

# The run with the valid tokens fails when an operation that needs a token never got past
# 401/403 (the test would prove nothing about it).
SCHEMATHESIS_CONFIG = """\
[warnings]
fail-on = ["missing_auth"]

[auth.openapi.bearerAuth]
bearer = "${SECRETSMITH_API_CHECK_TOKEN}"

[auth.openapi.pubsubOIDC]
bearer = "${SECRETSMITH_API_CHECK_PUSH_TOKEN}"
"""


def create_regional_secret(port: int) -> None:
    """`projects/acme-app-dev/locations/europe-west1/secrets/db-password` with one version (the seed file has no regions)."""
    base = f"http://127.0.0.1:{port}/v1/projects/acme-app-dev/locations/europe-west1/secrets"
    for url, body in [
        (f"{base}?secretId=db-password", {}),
        (f"{base}/db-password:addVersion", {"payload": {"data": base64.b64encode(b"eu-pw").decode()}}),
    ]:
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200, f"the emulator refused {url}: HTTP {response.status}"


class Process:
    """A child process in its own process group, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, arguments: list[str], workdir: Path, name: str, environment: dict[str, str] | None = None):
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            arguments, cwd=workdir, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **(environment or {})},
        )

    def wait_for_port(self, port_file: Path, seconds: float = 30) -> int:
        deadline = time.monotonic() + seconds
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start:\n{self.log_path.read_text(errors='replace')}")
            time.sleep(0.05)
        return int(port_file.read_text().strip())

    def stop(self) -> int | None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()
        return self.process.returncode


@pytest.fixture(scope="module")
def service():
    binary = binary_path()
    if not binary.exists():
        pytest.fail(f"{binary} does not exist: build it first (swift build), or set SECRETSMITH_BIN")
    with tempfile.TemporaryDirectory(prefix="secretsmith-api-check-") as directory:
        workdir = Path(directory)
        (workdir / "seed.yaml").write_text(EMULATOR_SEED)
        emulator = Process(
            [str(binary), "emulator", "--port", "0", "--port-file", "emulator.port", "--seed", "seed.yaml"],
            workdir, "emulator")
        serve = None
        try:
            emulator_port = emulator.wait_for_port(workdir / "emulator.port")
            create_regional_secret(emulator_port)
            lines = []
            for name, token in [("ci", TOKEN), ("other", OTHER_TOKEN)]:
                hashed = subprocess.run(
                    [str(binary), "hash-token", name], input=token.encode(), capture_output=True, check=True)
                lines.append(hashed.stdout.decode().strip())
            (workdir / "tokens").write_text("\n".join(lines) + "\n")
            push_token, jwks = push_token_and_jwks()
            (workdir / "jwks.json").write_text(json.dumps(jwks))
            (workdir / "secretsmith.yaml").write_text(CONFIGURATION)
            serve = Process(
                [str(binary), "serve", "--config", "secretsmith.yaml", "--listen", "127.0.0.1:0",
                 "--port-file", "serve.port"],
                workdir, "serve", {"SECRET_MANAGER_EMULATOR_HOST": f"127.0.0.1:{emulator_port}"})
            port = serve.wait_for_port(workdir / "serve.port")
            (workdir / "schemathesis.toml").write_text(SCHEMATHESIS_CONFIG)
            yield {"url": f"http://127.0.0.1:{port}", "workdir": workdir, "push_token": push_token, "serve": serve}
        finally:
            status = serve.stop() if serve else None
            emulator.stop()
            if serve is not None:
                log = serve.log_path.read_text(errors="replace")
                # Never a token in the service's log, whatever Schemathesis sent.
                for token in (TOKEN, OTHER_TOKEN):
                    assert token not in log, "a bearer token reached the service's log"
                assert status == 0, f"secretsmith serve exited {status}:\n{log[-4000:]}"


def schemathesis(service, *arguments: str, token: str | None, push_token: str | None, max_time: int) -> None:
    """Runs `schemathesis run` against the service; fails the test with its output unless it passes."""
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "hooks",
        "PYTHONPATH": str(HERE),
        # What hooks.py takes as the valid tokens, and what schemathesis.toml sends.
        "SECRETSMITH_API_CHECK_TOKEN": TOKEN,
        "SECRETSMITH_API_CHECK_PUSH_TOKEN": service["push_token"],
    }
    config = service["workdir"] / "schemathesis.toml"
    if token != TOKEN or push_token != service["push_token"]:
        # Another run's credentials: the config file sends these instead.
        lines = []
        if token is not None:
            lines += ["[auth.openapi.bearerAuth]", f'bearer = "{token}"']
        if push_token is not None:
            lines += ["[auth.openapi.pubsubOIDC]", f'bearer = "{push_token}"']
        config = service["workdir"] / f"schemathesis-{len(list(service['workdir'].glob('schemathesis-*')))}.toml"
        config.write_text("\n".join(lines) + "\n")
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "run", str(DOCUMENT),
        "--url", service["url"], "--header", f"{GUARD_HEADER}: 1",
        "--max-examples", str(EXAMPLES), "--max-time", str(max_time), "--workers", "1",
        "--request-timeout", "20", "--phases", "examples,coverage,fuzzing",
        *(["--seed", HYPOTHESIS_SEED] if HYPOTHESIS_SEED else []), *arguments,
    ]
    result = subprocess.run(
        command, cwd=service["workdir"], env=environment, capture_output=True, text=True, timeout=max_time * 3 + 120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis failed ({' '.join(command[3:])}):\n{output[-20000:]}"


def test_valid_token_every_check(service):
    schemathesis(service, "--checks", "all", token=TOKEN, push_token=service["push_token"], max_time=MAX_TIME)


# Checks that hold whatever the credentials: the answers are documented, none is a 5xx,
# and `authentication_never_bypassed` (hooks.py) refuses every 2xx on a protected operation.
CREDENTIAL_FREE_CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
    "response_schema_conformance,authentication_never_bypassed"
)


def test_no_token_never_succeeds(service):
    schemathesis(service, "--checks", CREDENTIAL_FREE_CHECKS, token=None, push_token=None, max_time=max(1, MAX_TIME // 2))


def test_wrong_token_never_succeeds(service):
    schemathesis(
        service, "--checks", CREDENTIAL_FREE_CHECKS, token="wrong-" + TOKEN, push_token=service["push_token"][:-4] + "AAAA",
        max_time=max(1, MAX_TIME // 2))


def test_the_authentication_check_fails_on_a_2xx_without_the_valid_token(monkeypatch):
    """`authentication_never_bypassed` itself: it refuses a 2xx without the valid token, and only that."""
    import types

    monkeypatch.syspath_prepend(str(HERE))
    import hooks

    monkeypatch.setitem(hooks.VALID, "bearerAuth", TOKEN)

    def case(security):
        definition = {"security": security} if security is not None else {}
        operation = types.SimpleNamespace(
            definition=types.SimpleNamespace(raw=definition),
            schema=types.SimpleNamespace(raw_schema={"security": [{"bearerAuth": []}]}),
        )
        return types.SimpleNamespace(operation=operation, method="GET", path="/v1/references/a/b/c")

    def response(status, authorization):
        headers = {"Authorization": authorization} if authorization else {}
        return types.SimpleNamespace(status_code=status, request=types.SimpleNamespace(headers=headers))

    check = hooks.authentication_never_bypassed
    with pytest.raises(AssertionError):
        check(None, response(200, None), case(None))
    with pytest.raises(AssertionError):
        check(None, response(204, "Bearer wrong"), case(None))
    assert check(None, response(200, f"Bearer {TOKEN}"), case(None)) is None
    assert check(None, response(401, None), case(None)) is None
    # An operation with `security: []` (the probes) may answer anyone.
    assert check(None, response(200, None), case([])) is None
