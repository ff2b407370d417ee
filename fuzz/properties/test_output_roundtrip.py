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
  without and with the one pair of matching quotes that newer docker CLIs strip.

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
- SECRETSMITH_PROPERTY_EXAMPLES: Hypothesis examples per format (default 1000).
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
import time
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
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
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


@pytest.fixture(scope="session")
def shells() -> list[str]:
    found = [name for name in SHELLS if shutil.which(name)]
    missing = [name for name in SHELLS if name not in found]
    if missing:
        message = f"shell(s) {', '.join(missing)} not installed (apt-get install dash bash)"
        if IN_CI or not found:
            skip_or_fail(message)
        print(f"warning: {message}; testing `shell` with {', '.join(found)} only")
    return found


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
        text = text.lstrip()  # Go's unicode.IsSpace and Python's str.isspace agree on these
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


# --- rendering ------------------------------------------------------------------------


def yaml_string(text: str) -> str:
    return json.dumps(text)  # JSON strings are YAML double-quoted scalars


class Renderer:
    """Renders values through `secretsmith render` and reads them back with the consumers."""

    def __init__(self, binary: Path, emulator: Emulator, workdir: Path, shells: list[str]):
        self.binary, self.emulator, self.shells = binary, emulator, shells
        self.directory = workdir / "render"
        self.directory.mkdir(exist_ok=True)
        self.environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir),
                            "SECRET_MANAGER_EMULATOR_HOST": f"127.0.0.1:{emulator.port}"}

    def render(self, format: str, entries: list[tuple[str, str]]) -> tuple[subprocess.CompletedProcess, Path]:
        output = self.directory / f"out.{format}"
        output.unlink(missing_ok=True)
        lines = ["version: 1", "environments:", "  t:", "    projects:", "      p:",
                 f"        project_id: {PROJECT}", "        allow_undeclared: true",
                 "outputs:", "  - name: out", f"    format: {format}", f"    path: {yaml_string(str(output))}",
                 "    values:"]
        lines += [f"      {key}: {yaml_string(reference)}" for key, reference in entries]
        config = self.directory / "secretsmith.yaml"
        config.write_text("\n".join(lines) + "\n")
        result = subprocess.run([str(self.binary), "render", "--config", str(config), "--env", "t"],
                                capture_output=True, env=self.environment, timeout=120)
        return result, output

    def read_back(self, format: str, path: Path, keys: list[str]) -> dict[str, dict[str, bytes]]:
        """Each consumer's reading of the file: consumer name → key → bytes."""
        if format == "dotenv":
            return {"python-dotenv": read_dotenv(path, keys)}
        if format == "shell":
            return {shell: read_shell(shell, path, keys) for shell in self.shells}
        if format == "json":
            return {"python json": read_json(path, keys)}
        if format == "docker-env-file":
            return {"docker (no quote stripping)": read_docker_env_file(path, keys, strip_quotes=False),
                    "docker (quote stripping)": read_docker_env_file(path, keys, strip_quotes=True)}
        raise ValueError(format)

    def check(self, format: str, values: list[bytes]):
        """Asserts the property for one batch of values, one key per value."""
        keys = [f"K{index}" for index in range(len(values))]
        references = [self.emulator.add_version(index, value) for index, value in enumerate(values)]
        expected_refused = {key for key, value in zip(keys, values) if documented_refusal(format, key, value)}
        result, path = self.render(format, list(zip(keys, references)))
        stderr = result.stderr.decode("utf-8", errors="replace")
        if expected_refused:
            assert result.returncode == 65, (
                f"{format}: expected a refusal (exit 65) of {sorted(expected_refused)}, got exit {result.returncode}:"
                f" {stderr[:500]}")
            named = set(re.findall(r"\bkey (K\d+)\b", stderr))
            assert named == expected_refused, (
                f"{format}: refused keys named {sorted(named)}, documented refusals {sorted(expected_refused)}:"
                f" {stderr[:1000]}")
            assert not path.exists(), f"{format}: a refused render still wrote {path}"
            for key, value in zip(keys, values):
                # Short values can occur in the message's own words; long ones must not.
                if len(value) >= 12:
                    assert value not in result.stderr, f"{format}: the value of {key} appears in the error output"
            remaining = [(k, r, v) for k, r, v in zip(keys, references, values) if k not in expected_refused]
            if not remaining:
                return
            keys = [k for k, _, _ in remaining]
            references = [r for _, r, _ in remaining]
            values = [v for _, _, v in remaining]
            result, path = self.render(format, list(zip(keys, references)))
            stderr = result.stderr.decode("utf-8", errors="replace")
        assert result.returncode == 0, f"{format}: render refused values it documents as encodable: {stderr[:1000]}"
        for consumer, read in self.read_back(format, path, keys).items():
            for key, value in zip(keys, values):
                assert read[key] == value, (
                    f"{format}: {consumer} read {key} as {read[key][:200]!r} (length {len(read[key])}),"
                    f" expected {value[:200]!r} (length {len(value)})")


@pytest.fixture(scope="session")
def renderer(binary, emulator, workdir, shells) -> Renderer:
    return Renderer(binary, emulator, workdir, shells)


# --- the regression corpus ------------------------------------------------------------


def corpus_cases() -> list[dict]:
    return json.loads(CORPUS.read_text())


def corpus_params():
    params = []
    for format in FORMATS:
        for case in corpus_cases():
            marks = []
            xfail = case.get("xfail", {})
            if format in xfail:
                marks.append(pytest.mark.xfail(reason=xfail[format], strict=True))
            params.append(pytest.param(format, case, id=f"{format}-{case['name']}", marks=marks))
    return params


@pytest.mark.parametrize("format,case", corpus_params())
def test_corpus_case(renderer, format, case):
    renderer.check(format, [base64.b64decode(case["value_base64"], validate=True)])


@pytest.mark.parametrize("format", FORMATS)
def test_corpus_in_one_render(renderer, format):
    """Every corpus value not expected to fail, as the keys of one output."""
    values = [base64.b64decode(case["value_base64"]) for case in corpus_cases()
              if format not in case.get("xfail", {})]
    renderer.check(format, values)


# --- Hypothesis ------------------------------------------------------------------------

# Fragments that each format's quoting has to get right.
TOKENS = [
    b"$", b"${", b"}", b"${A}", b"${A:-x}", b"${:-", b":-", b"$A", b"$$", b"$(", b"`", b"'", b'"', b"\\", b"\\\\",
    b"\\'", b'\\"', b"\\n", b"\n", b"\r", b"\r\n", b"\0", b"#", b" #", b" ", b"\t", b"\x0b", b"\x0c", b"=", b"a",
    b"A", b"0", b"export ", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xc3\xa9", b"\xed\xa0\x80", b"\xc0\x80",
    b"\xe2\x80\xa8", b"\xc2\x85", b"\xf0\x9f\x98\x80", b"\x1b[0m", b"\x7f",
]

tokens = st.lists(st.sampled_from(TOKENS), max_size=12).map(b"".join)
unicode_text = st.text(max_size=40).map(lambda text: text.encode("utf-8"))
printable = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.encode)
long_values = st.builds(lambda unit, length: (unit * (length // len(unit) + 1))[:length],
                        st.one_of(tokens.filter(bool), st.binary(min_size=1, max_size=4)),
                        st.one_of(st.integers(1_000, MAX_PAYLOAD), st.integers(DOCKER_MAX_LINE - 8, MAX_PAYLOAD)))
value = st.one_of(st.binary(max_size=40), tokens, unicode_text, printable,
                  st.tuples(tokens, unicode_text, tokens).map(b"".join), long_values)
batches = st.lists(value, min_size=1, max_size=8)


def counterexample_note(values: list[bytes]) -> str:
    entries = [{"name": "hypothesis-counterexample", "value_base64": base64.b64encode(v).decode()} for v in values]
    return "corpus entries to add to fuzz/corpus/outputs/cases.json (keep the one that fails):\n" + json.dumps(entries)


@pytest.mark.parametrize("format", FORMATS)
@settings(max_examples=EXAMPLES, deadline=None, database=None if IN_CI else settings.default.database,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])
@given(values=batches)
def test_values_round_trip(renderer, format, values):
    try:
        renderer.check(format, values)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{counterexample_note(values)}") from None
