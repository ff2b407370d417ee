#!/usr/bin/env python3
"""The baseline: Google's official Python client (google-cloud-secret-manager) reading N
secrets and writing a .env file, as its documentation recommends (one client reused, the
payload's CRC32C verified with google-crc32c), against the same emulator as secretsmith.

REST transport over plain HTTP with anonymous credentials, since the emulator speaks REST
and needs no token.

    python_client.py --endpoint 127.0.0.1:8085 --project bench-project --count 200 \
        --mode sequential|threaded --workers 16 --out /tmp/python.env
"""
import argparse
import concurrent.futures
import os

import google_crc32c
from google.auth.credentials import AnonymousCredentials
from google.cloud import secretmanager
from google.cloud.secretmanager_v1.services.secret_manager_service.transports.rest import (
    SecretManagerServiceRestTransport,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--mode", choices=["sequential", "threaded"], required=True)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    transport = SecretManagerServiceRestTransport(
        host=args.endpoint, credentials=AnonymousCredentials(), url_scheme="http"
    )
    client = secretmanager.SecretManagerServiceClient(transport=transport)

    def access(index: int) -> bytes:
        name = f"projects/{args.project}/secrets/s{index}/versions/latest"
        response = client.access_secret_version(request={"name": name})
        checksum = google_crc32c.Checksum()
        checksum.update(response.payload.data)
        if response.payload.data_crc32c != int(checksum.hexdigest(), 16):
            raise SystemExit(f"{name}: data corruption detected")
        return response.payload.data

    indices = range(1, args.count + 1)
    if args.mode == "sequential":
        values = [access(i) for i in indices]
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
            values = list(pool.map(access, indices))

    temporary = args.out + ".tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        for index, value in zip(indices, values):
            handle.write(b"S%d='" % index + value.replace(b"'", b"\\'") + b"'\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, args.out)


if __name__ == "__main__":
    main()
