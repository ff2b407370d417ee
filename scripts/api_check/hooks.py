"""Schemathesis hooks for `make api-check` (loaded through SCHEMATHESIS_HOOKS).

One custom check, `authentication_never_bypassed`: a request to an operation that requires
a token (every operation whose `security` is not empty) gets a 2xx answer only when it
carried the one valid token for that operation's scheme. The valid tokens come from the
environment (SECRETSMITH_API_CHECK_TOKEN for `bearerAuth`, SECRETSMITH_API_CHECK_PUSH_TOKEN
for `pubsubOIDC`); a run with no or a wrong token therefore fails on any 2xx.
"""

from __future__ import annotations

import os

import schemathesis

VALID = {
    "bearerAuth": os.environ.get("SECRETSMITH_API_CHECK_TOKEN", ""),
    "pubsubOIDC": os.environ.get("SECRETSMITH_API_CHECK_PUSH_TOKEN", ""),
}


def _schemes(case) -> list[str]:
    """The security schemes the operation requires (its own `security`, else the document's)."""
    operation = case.operation.definition.raw
    root = case.operation.schema.raw_schema
    requirements = operation.get("security", root.get("security", []))
    return [name for requirement in requirements for name in requirement]


@schemathesis.check
def authentication_never_bypassed(ctx, response, case):
    """A protected operation answers 2xx only to a request carrying its valid token."""
    schemes = _schemes(case)
    if not schemes or not 200 <= response.status_code < 300:
        return None
    sent = response.request.headers.get("Authorization", "")
    accepted = {f"Bearer {VALID[name]}" for name in schemes if VALID.get(name)}
    if sent not in accepted:
        raise AssertionError(
            f"{case.method} {case.path} answered {response.status_code} to a request without its valid "
            f"bearer token (Authorization: {'present' if sent else 'absent'}, not the valid token)."
        )
    return None
