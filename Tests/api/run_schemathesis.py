#!/usr/bin/env python3
"""Runs schemathesis against the OpenAPI document that `turnover serve --sandbox` serves.

Starts serve on a free port with a fresh data directory, signs the bootstrap admin in (replacing
the initial password, with the TOTP code computed here), creates an admin API token, and runs
schemathesis with it: no response may be a 5xx, and every response must conform to the document
(status codes, content types, bodies). Exits non-zero when schemathesis finds a failure.

Usage: Tests/api/run_schemathesis.py --turnover PATH [--max-examples N] [--seed N]
"""
import argparse
import hashlib
import hmac
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request


def totp(secret: str, at: float) -> str:
    # HummingbirdOTP keys HMAC-SHA1 with the secret's own bytes (the otpauth URL carries them in base32).
    counter = struct.pack(">Q", int(at) // 30)
    digest = hmac.new(secret.encode(), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def call(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + "/api/v1" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--turnover", required=True)
    parser.add_argument("--max-examples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="turnover-schemathesis-")
    out_path = os.path.join(data, "serve.out")
    with open(out_path, "w") as out, open(os.path.join(data, "serve.err"), "w") as err:
        serve = subprocess.Popen([args.turnover, "serve", "--sandbox", "--port", "0", "--data-dir", data,
                                  "--bootstrap-admin", "root"], stdout=out, stderr=err)
    try:
        printed = ""
        for _ in range(600):
            printed = open(out_path).read()
            if "Turnover is listening on" in printed or serve.poll() is not None:
                break
            time.sleep(0.05)
        base = re.search(r"Turnover is listening on (\S+)", printed).group(1)
        password = re.search(r"Initial password \(shown once; it must be changed at first sign-in\): (\S+)", printed).group(1)
        secret = re.search(r"TOTP secret \(enrol it in an authenticator app; shown once\): (\S+)", printed).group(1)
        session = call(base, "POST", "/sessions", {"name": "root", "password": password, "totp": totp(secret, time.time()),
                                                  "newPassword": "schemathesis-root-password"})
        token = call(base, "POST", "/tokens", {"name": "schemathesis"}, token=session["token"])["secret"]
        command = [
            "schemathesis", "run", base + "/api/v1/openapi.json", "--url", base + "/api/v1",
            "--header", f"Authorization: Bearer {token}",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            # Signing out would end the token the rest of the run uses.
            "--exclude-operation-id", "signOut",
            "--max-examples", str(args.max_examples), "--seed", str(args.seed), "--workers", "1",
            "--request-timeout", "60", "--warnings", "off",
        ]
        print("running:", " ".join(c if "Bearer" not in c else "Authorization: Bearer <token>" for c in command), flush=True)
        result = subprocess.run(command)
        return result.returncode
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()


if __name__ == "__main__":
    sys.exit(main())
