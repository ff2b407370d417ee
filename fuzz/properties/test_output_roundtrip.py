"""Real-consumer property tests for secretsmith's key/value output formats.

Random byte strings are stored as secret versions in the bundled emulator, rendered by
the built `secretsmith` binary to each format, and read back by the programs that consume
those files:

- dotenv: python-dotenv's `dotenv_values`;
- shell: `sh`, `dash` and `bash` sourcing the file (`set -a; . FILE`) and printing the
  variables with `printf %s` (bytes captured as they are);
- json: Python's `json` on the strictly decoded UTF-8 text;
- docker-env-file: docker's `--env-file` reading rules (docker/cli `pkg/kvfile`): lines
  split on LF with one CR before it dropped, strict UTF-8, a leading BOM dropped on line 1,
  leading whitespace dropped, the value is everything after the first `=`; read both
  without and with the one pair of matching quotes that some docker CLIs strip; and, when
  the `docker` CLI is installed, by the CLI itself: `docker run --env-file` against a fake
  Engine API on loopback that records the `Env` of the container-create request.

Property: every value comes back byte for byte, or `render` refused the output (exit code
65) naming the refused keys and never a value. Refusals must be exactly the ones each
encoder documents (a refusal that is not documented is a failure too, so "refuse
everything" cannot pass). After a refusal the remaining keys are rendered again and must
round-trip.

The regression corpus (`fuzz/corpus/outputs/cases.json`: named base64 values, with
optional `xfail` formats and a reason) is replayed first. When Hypothesis finds a
counterexample, the failure message prints a corpus entry for it: add it there.

Environment:
- SECRETSMITH_BIN: the binary (default `.build/debug/secretsmith` in the repository).
- SECRETSMITH_PROPERTY_EXAMPLES: Hypothesis examples (default 1000); each example is a
  batch of 1 to 9 values rendered to every format at once (about 4,700 values per format).
- CI=true: a missing binary or shell fails instead of skipping.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPOSITORY = Path(__file__).resolve().parents[2]
CORPUS = REPOSITORY / "fuzz" / "corpus" / "outputs" / "cases.json"
PROJECT = "prop-test"
FORMATS = ["dotenv", "shell", "json", "docker-env-file"]
SHELLS = ["sh", "dash", "bash"]
# Hypothesis examples; each is a batch of 1 to 9 values rendered to every format at once.
EXAMPLES = int(os.environ.get("SECRETSMITH_PROPERTY_EXAMPLES", "1000"))
IN_CI = os.environ.get("CI") == "true"
# Secret Manager's payload limit (bytes); the emulator enforces it too.
MAX_PAYLOAD = 65_536
# docker reads lines of at most this many bytes, newline included (Go's bufio.MaxScanTokenSize).
DOCKER_MAX_LINE = 65_536
# An environment variable that an unwanted `${A}` interpolation would expand.
INTERPOLATION_PROBE = "A"


def skip_or_fail(message: str):
    if IN_CI:
        pytest.fail(message + " (CI=true: required)")
    pytest.skip(message)


def binary_path() -> Path:
    return Path(os.environ.get("SECRETSMITH_BIN", REPOSITORY / ".build" / "debug" / "secretsmith"))


# --- the emulator ---------------------------------------------------------------------


class Emulator:
    """One `secretsmith emulator` process; secrets `s0`, `s1`, ... created on first use."""

    def __init__(self, binary: Path, workdir: Path):
        seed = workdir / "seed.yaml"
        seed.write_text(f"projects:\n  {PROJECT}:\n    number: 424242\n    secrets: {{}}\n")
        port_file = workdir / "port"
        self.log = open(workdir / "emulator.log", "wb")
        self.process = subprocess.Popen(
            [str(binary), "emulator", "--port", "0", "--port-file", str(port_file), "--seed", str(seed)],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not start; see {workdir / 'emulator.log'}")
            time.sleep(0.05)
        self.port = int(port_file.read_text().strip())
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.created: set[int] = set()

    def _post(self, path: str, body: dict) -> dict:
        payload = json.dumps(body).encode()
        for attempt in range(2):
            try:
                self.connection.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 1:
                    raise
        if response.status != 200:
            raise RuntimeError(f"emulator {path}: HTTP {response.status}: {data[:300]!r}")
        return json.loads(data)

    def add_version(self, slot: int, value: bytes) -> str:
        """Stores `value` as a new version of secret `s<slot>`; returns its reference."""
        if slot not in self.created:
            self._post(f"/v1/projects/{PROJECT}/secrets?secretId=s{slot}", {"replication": {"automatic": {}}})
            self.created.add(slot)
        answer = self._post(
            f"/v1/projects/{PROJECT}/secrets/s{slot}:addVersion",
            {"payload": {"data": base64.b64encode(value).decode()}},
        )
        return f"p/s{slot}@{answer['name'].rsplit('/', 1)[1]}"

    def stop(self):
        # The emulator leads its own process group (start_new_session): signal the group, so
        # a wrapper script given as SECRETSMITH_BIN cannot leave the real emulator running.
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        else:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.log.close()


@pytest.fixture(scope="session")
def binary() -> Path:
    path = binary_path()
    if not os.access(path, os.X_OK):
        skip_or_fail(f"secretsmith binary not found at {path}; build it (`swift build`) or set SECRETSMITH_BIN")
    return path


@pytest.fixture(scope="session")
def workdir():
    with tempfile.TemporaryDirectory(prefix="secretsmith-props-") as directory:
        yield Path(directory)


@pytest.fixture(scope="session")
def emulator(binary, workdir):
    instance = Emulator(binary, workdir)
    yield instance
    instance.stop()


def installed_shells() -> tuple[list[str], list[str]]:
    """The shells to source `shell` files with (each program once: `sh` is often `dash`),
    and the missing ones."""
    programs: dict[str, str] = {}
    missing = []
    for name in SHELLS:
        path = shutil.which(name)
        if path:
            programs.setdefault(os.path.realpath(path), name)
        else:
            missing.append(name)
    return list(programs.values()), missing


@pytest.fixture(scope="session")
def shells() -> list[str]:
    return installed_shells()[0]


def test_consumer_shells_installed():
    """A missing shell is reported here (skip, or failure under CI=true); the other tests
    then source `shell` files with the shells that are installed."""
    missing = installed_shells()[1]
    if missing:
        skip_or_fail(f"shell(s) {', '.join(missing)} not installed (Debian: apt-get install dash bash);"
                     " `shell` files are read back by the others only")


# --- the refusals each encoder documents ----------------------------------------------


def is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8", errors="strict")
        return True
    except UnicodeDecodeError:
        return False


def documented_refusal(format: str, key: str, value: bytes) -> bool:
    """Whether the format's encoder documents refusing `value` under `key`."""
    if format == "shell":
        return b"\0" in value
    if format == "json":
        return not is_utf8(value)
    if format == "dotenv":
        return b"\0" in value or not is_utf8(value)
    if format == "docker-env-file":
        enclosing_quotes = len(value) >= 2 and value[:1] == value[-1:] and value[:1] in (b"'", b'"')
        too_long = len(key) + 1 + len(value) + 1 > DOCKER_MAX_LINE
        return (b"\0" in value or b"\n" in value or b"\r" in value or not is_utf8(value)
                or enclosing_quotes or too_long)
    raise ValueError(format)


# --- the consumers ----------------------------------------------------------------------


def read_dotenv(path: Path, keys: list[str]) -> dict[str, bytes]:
    saved = os.environ.get(INTERPOLATION_PROBE)
    os.environ[INTERPOLATION_PROBE] = "INTERPOLATED"
    try:
        values = dotenv_values(path)
    finally:
        if saved is None:
            del os.environ[INTERPOLATION_PROBE]
        else:
            os.environ[INTERPOLATION_PROBE] = saved
    assert list(values) == keys, f"python-dotenv read keys {list(values)}, expected {keys}"
    # None: python-dotenv read a key without a value.
    return {key: value.encode("utf-8") if value is not None else b"<None>" for key, value in values.items()}


def read_shell(shell: str, path: Path, keys: list[str]) -> dict[str, bytes]:
    script = "set -a; . \"$1\" || exit 3; printf '%s\\000' " + " ".join(f'"${key}"' for key in keys)
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8" if shell == "bash" else "C",
                   INTERPOLATION_PROBE: "INTERPOLATED"}
    result = subprocess.run([shell, "-c", script, shell, str(path)], capture_output=True, env=environment, timeout=60)
    assert result.returncode == 0, f"{shell} failed to source the file: exit {result.returncode}: {result.stderr[:500]!r}"
    assert result.stderr == b"", f"{shell} wrote to stderr while sourcing: {result.stderr[:500]!r}"
    parts = result.stdout.split(b"\0")
    assert parts[-1] == b"" and len(parts) == len(keys) + 1, f"{shell} printed {result.stdout[:500]!r}"
    return dict(zip(keys, parts[:-1]))


def read_json(path: Path, keys: list[str]) -> dict[str, bytes]:
    document = json.loads(path.read_bytes().decode("utf-8", errors="strict"))
    assert isinstance(document, dict) and list(document) == keys, f"json keys {list(document)}, expected {keys}"
    return {key: value.encode("utf-8", errors="strict") for key, value in document.items()}


def read_docker_env_file(path: Path, keys: list[str], strip_quotes: bool) -> dict[str, bytes]:
    """docker/cli `pkg/kvfile` reading rules (see the module docstring)."""
    data = path.read_bytes()
    values: dict[str, bytes] = {}
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # bufio.ScanLines: a final newline ends the last line, no empty line after it
    for number, line in enumerate(lines, start=1):
        assert len(line) + 1 <= DOCKER_MAX_LINE, f"line {number} is longer than docker's limit ({len(line) + 1} bytes)"
        if line.endswith(b"\r"):
            line = line[:-1]
        assert is_utf8(line), f"line {number} is not valid UTF-8: docker refuses the file"
        text = line.decode("utf-8")
        if number == 1:
            text = text.removeprefix("\ufeff")
        text = text.lstrip()  # whitespace before the key (keys never start with any)
        if not text or text.startswith("#"):
            continue
        key, separator, value = text.partition("=")
        assert separator, f"line {number} has no `=`: docker would read the host's {key!r}"
        assert key and not any(c.isspace() for c in key), f"line {number}: docker refuses the key {key!r}"
        if strip_quotes and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value.encode("utf-8")
    assert list(values) == keys, f"docker env file keys {list(values)}, expected {keys}"
    return values


class FakeDockerDaemon:
    """Just enough of the Docker Engine API for `docker run --env-file` to send its
    container-create request, whose `Env` is the docker CLI's own reading of the file;
    every create is answered with an error, so nothing runs."""

    def __init__(self):
        self.bodies: list[bytes] = []
        daemon = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *arguments):
                pass

            def answer(self, status: int, body: object, head: bool = False):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Api-Version", "1.41")
                self.end_headers()
                if not head:
                    self.wfile.write(data)

            def do_HEAD(self):
                self.answer(200, "OK", head=True)

            def do_GET(self):
                self.answer(200, "OK") if self.path.endswith("/_ping") else self.answer(404, {"message": "not here"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path.split("?")[0].endswith("/containers/create"):
                    daemon.bodies.append(body)
                self.answer(500, {"message": "property-test daemon: nothing runs"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def read(self, docker: str, path: Path, keys: list[str], workdir: Path) -> dict[str, bytes]:
        self.bodies.clear()
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir),
                       "DOCKER_CONFIG": str(workdir / "docker-config"),
                       "DOCKER_HOST": f"tcp://127.0.0.1:{self.server.server_address[1]}"}
        result = subprocess.run([docker, "run", "--env-file", str(path), "property-test-image", "true"],
                                capture_output=True, env=environment, timeout=60)
        assert len(self.bodies) == 1, f"docker did not send a create request: {result.stderr[:500]!r}"
        entries = json.loads(self.bodies[0]).get("Env") or []
        values = {}
        for entry in entries:
            key, _, value = entry.partition("=")
            values[key] = value.encode("utf-8")
        assert list(values) == keys, f"docker read keys {list(values)}, expected {keys}"
        return values

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# --- rendering ------------------------------------------------------------------------


def yaml_string(text: str) -> str:
    return json.dumps(text)  # JSON strings are YAML double-quoted scalars


class Renderer:
    """Renders values through `secretsmith render` and reads them back with the consumers."""

    def __init__(self, binary: Path, emulator: Emulator, workdir: Path, shells: list[str],
                 docker: tuple[str, FakeDockerDaemon] | None):
        self.binary, self.emulator, self.shells, self.docker, self.workdir = binary, emulator, shells, docker, workdir
        self.directory = workdir / "render"
        self.directory.mkdir(exist_ok=True)
        self.environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir),
                            "SECRET_MANAGER_EMULATOR_HOST": f"127.0.0.1:{emulator.port}"}

    def render(self, outputs: dict[str, list[tuple[str, str]]]) -> subprocess.CompletedProcess:
        """One `render` of a configuration with one output per format (format → keys and references)."""
        lines = ["version: 1", "environments:", "  t:", "    projects:", "      p:",
                 f"        project_id: {PROJECT}", "        allow_undeclared: true", "outputs:"]
        for format, entries in outputs.items():
            if not entries:
                continue
            path = self.path(format)
            path.unlink(missing_ok=True)
            lines += [f"  - name: {format}", f"    format: {format}", f"    path: {yaml_string(str(path))}",
                      "    values:"]
            lines += [f"      {key}: {yaml_string(reference)}" for key, reference in entries]
        config = self.directory / "secretsmith.yaml"
        config.write_text("\n".join(lines) + "\n")
        return subprocess.run([str(self.binary), "render", "--config", str(config), "--env", "t"],
                              capture_output=True, env=self.environment, timeout=120)

    def path(self, format: str) -> Path:
        return self.directory / f"out.{format}"

    def read_back(self, format: str, path: Path, keys: list[str]) -> dict[str, dict[str, bytes]]:
        """Each consumer's reading of the file: consumer name → key → bytes."""
        if format == "dotenv":
            return {"python-dotenv": read_dotenv(path, keys)}
        if format == "shell":
            return {shell: read_shell(shell, path, keys) for shell in self.shells}
        if format == "json":
            return {"python json": read_json(path, keys)}
        if format == "docker-env-file":
            readers = {"docker's rules without quote stripping": read_docker_env_file(path, keys, strip_quotes=False),
                       "docker's rules with quote stripping": read_docker_env_file(path, keys, strip_quotes=True)}
            if self.docker:
                program, daemon = self.docker
                readers["the docker CLI"] = daemon.read(program, path, keys, self.workdir)
            return readers
        raise ValueError(format)

    def check(self, formats: list[str], values: list[bytes]):
        """Asserts the property for one batch of values (one key per value) in each format.

        One `render` writes one output per format; when the encoders document refusals it
        must exit 65 naming exactly the refused (output, key) pairs and no value, write
        nothing, and a second `render` of the other keys must round-trip.
        """
        keys = [f"K{index}" for index in range(len(values))]
        references = [self.emulator.add_version(index, value) for index, value in enumerate(values)]
        expected_refused = {(format, key) for format in formats for key, value in zip(keys, values)
                            if documented_refusal(format, key, value)}
        outputs = {format: list(zip(keys, references)) for format in formats}
        result = self.render(outputs)
        stderr = result.stderr.decode("utf-8", errors="replace")
        if expected_refused:
            assert result.returncode == 65, (
                f"expected a refusal (exit 65) of {sorted(expected_refused)}, got exit {result.returncode}:"
                f" {stderr[:1000]}")
            named = set(re.findall(r"\boutput (\S+), key (K\d+)\b", stderr))
            assert named == expected_refused, (
                f"refused (output, key) named {sorted(named)}, documented refusals {sorted(expected_refused)}:"
                f" {stderr[:2000]}")
            for format in formats:
                assert not self.path(format).exists(), f"{format}: a refused render still wrote its file"
            for key, value in zip(keys, values):
                # Short values can occur in the message's own words; long ones must not.
                if len(value) >= 12:
                    assert value not in result.stderr, f"the value of {key} appears in the error output"
            outputs = {format: [(k, r) for k, r in entries if (format, k) not in expected_refused]
                       for format, entries in outputs.items()}
            if not any(outputs.values()):
                return
            result = self.render(outputs)
            stderr = result.stderr.decode("utf-8", errors="replace")
        assert result.returncode == 0, f"render refused values the encoders document as encodable: {stderr[:2000]}"
        by_key = dict(zip(keys, values))
        for format, entries in outputs.items():
            if not entries:
                continue
            format_keys = [key for key, _ in entries]
            for consumer, read in self.read_back(format, self.path(format), format_keys).items():
                for key in format_keys:
                    value = by_key[key]
                    assert read[key] == value, (
                        f"{format}: {consumer} read {key} as {read[key][:200]!r} (length {len(read[key])}),"
                        f" expected {value[:200]!r} (length {len(value)})")


@pytest.fixture(scope="session")
def docker(workdir):
    """The docker CLI (no daemon needed: a fake one records what the CLI read), or None."""
    program = shutil.which("docker")
    if not program:
        warnings.warn("docker CLI not installed: docker-env-file files are checked against docker's rules only")
        yield None
        return
    daemon = FakeDockerDaemon()
    yield program, daemon
    daemon.stop()


@pytest.fixture(scope="session")
def renderer(binary, emulator, workdir, shells, docker) -> Renderer:
    return Renderer(binary, emulator, workdir, shells, docker)


# --- the regression corpus ------------------------------------------------------------


def corpus_cases() -> list[dict]:
    return json.loads(CORPUS.read_text())


def corpus_params():
    """One case per corpus value over every format it should pass, plus one xfail case per
    format the corpus marks as failing (with its reason)."""
    params = []
    for case in corpus_cases():
        xfail = case.get("xfail", {})
        passing = [format for format in FORMATS if format not in xfail]
        if passing:
            params.append(pytest.param(passing, case, id=case["name"]))
        for format, reason in xfail.items():
            params.append(pytest.param([format], case, id=f"{case['name']}-{format}",
                                       marks=pytest.mark.xfail(reason=reason, strict=True)))
    return params


@pytest.mark.parametrize("formats,case", corpus_params())
def test_corpus_case(renderer, formats, case):
    renderer.check(formats, [base64.b64decode(case["value_base64"], validate=True)])


@pytest.mark.parametrize("format", FORMATS)
def test_corpus_in_one_render(renderer, format):
    """Every corpus value not expected to fail in `format`, as the keys of one output."""
    values = [base64.b64decode(case["value_base64"]) for case in corpus_cases()
              if format not in case.get("xfail", {})]
    renderer.check([format], values)


# --- Hypothesis ------------------------------------------------------------------------

# Fragments that each format's quoting has to get right.
TOKENS = [
    b"$", b"${", b"}", b"${A}", b"${A:-x}", b"${:-", b":-", b"$A", b"$$", b"$(", b"`", b"'", b'"', b"\\", b"\\\\",
    b"\\'", b'\\"', b"\\n", b"\n", b"\r", b"\r\n", b"\0", b"#", b" #", b" ", b"\t", b"\x0b", b"\x0c", b"=", b"a",
    b"A", b"0", b"export ", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xc3\xa9", b"\xed\xa0\x80", b"\xc0\x80",
    b"\xe2\x80\xa8", b"\xc2\x85", b"\xf0\x9f\x98\x80", b"\x1b[0m", b"\x7f",
]

tokens = st.lists(st.sampled_from(TOKENS), max_size=12).map(b"".join)
nonempty_tokens = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map(b"".join)
unicode_text = st.text(max_size=40).map(lambda text: text.encode("utf-8"))
printable = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.encode)
long_values = st.builds(lambda unit, length: (unit * (length // len(unit) + 1))[:length],
                        st.one_of(nonempty_tokens, st.binary(min_size=1, max_size=4)),
                        st.one_of(st.integers(1_000, MAX_PAYLOAD), st.integers(DOCKER_MAX_LINE - 8, MAX_PAYLOAD)))
value = st.one_of(st.binary(max_size=40), tokens, unicode_text, printable,
                  st.tuples(tokens, unicode_text, tokens).map(b"".join))
# A quarter of the examples also carry one long value (they cost the most to read back).
batches = st.builds(lambda short, long: short + ([long] if long is not None else []),
                    st.lists(value, min_size=1, max_size=8),
                    st.one_of(st.none(), st.none(), st.none(), long_values))


def counterexample_note(values: list[bytes]) -> str:
    entries = [{"name": "hypothesis-counterexample", "value_base64": base64.b64encode(v).decode()} for v in values]
    return "corpus entries to add to fuzz/corpus/outputs/cases.json (keep the one that fails):\n" + json.dumps(entries)


@settings(max_examples=EXAMPLES, deadline=None, database=None if IN_CI else settings.default.database,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])
@given(values=batches)
def test_values_round_trip(renderer, values):
    """Each example is rendered to every format at once (so each example runs per format)."""
    try:
        renderer.check(FORMATS, values)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{counterexample_note(values)}") from None
