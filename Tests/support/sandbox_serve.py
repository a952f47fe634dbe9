"""`turnover serve --sandbox` in its own process, for the Python suites (console, notifications)."""
import hashlib
import hmac
import json
import os
import re
import struct
import subprocess
import tempfile
import time
import urllib.request


def totp(secret: str, at: float) -> str:
    """The current TOTP code. HummingbirdOTP keys HMAC-SHA1 with the secret's own bytes (the otpauth
    URL carries them in base32)."""
    counter = struct.pack(">Q", int(at) // 30)
    digest = hmac.new(secret.encode(), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


class ServeDidNotStart(Exception):
    pass


class SandboxServe:
    """Starts serve on a free port with a bootstrap admin `root`, and reads what it printed."""

    def __init__(self, binary, data=None, environment=None):
        self.data = data or tempfile.mkdtemp(prefix="turnover-serve-")
        out_path = os.path.join(self.data, "serve.out")
        self.err_path = os.path.join(self.data, "serve.err")
        with open(out_path, "w") as out, open(self.err_path, "w") as err:
            self.process = subprocess.Popen([binary, "serve", "--sandbox", "--port", "0", "--data-dir", self.data,
                                             "--bootstrap-admin", "root"], stdout=out, stderr=err, env=environment)
        printed = ""
        for _ in range(600):
            printed = open(out_path).read()
            if "Turnover is listening on" in printed or self.process.poll() is not None:
                break
            time.sleep(0.05)

        def after(prefix):
            match = re.search(re.escape(prefix) + r"\s*(\S+)", printed)
            if not match:
                raise ServeDidNotStart(f"serve did not print {prefix!r}:\n{printed}\n{open(self.err_path).read()}")
            return match.group(1)

        self.url = after("Turnover is listening on")
        self.simulator = after("Sandbox simulator (tenants contoso and fabrikam) on").rstrip(";")
        self.halo = after("Sandbox HaloPSA on")
        self.halo_ticket = re.search(r"ticket (\d+) is a leaver's", printed).group(1)
        self.admin_password = after("must be changed at first sign-in):")
        self.admin_totp = after("shown once):")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def api(self, method, path, body=None, token=None):
        request = urllib.request.Request(self.url + "/api/v1" + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return json.loads(text) if text else None
