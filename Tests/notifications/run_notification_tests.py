#!/usr/bin/env python3
"""Notifications end to end: `turnover serve --sandbox` tells the right people, over real servers.

- E-mail goes to aiosmtpd, a real SMTP server that here demands STARTTLS (with a certificate from a
  throwaway CA made by openssl) and AUTH over TLS. Every message is parsed as MIME.
- A webhook receiver checks each Turnover-Signature with the secret `turnover notify secret` prints,
  answers 500 to the first delivery it sees, and expects the retry of that same delivery.
- A Teams Workflows stand-in validates each posted Adaptive Card against the Adaptive Card 1.5 JSON
  schema (schemas/1.5.0/adaptive-card.json of microsoft/AdaptiveCards, kept beside this file).

The team: technician tina (submits), approver alex (gets the approval request, approves), approver
sam (scoped to another tenant: gets nothing), approver dana (no e-mail address: gets nothing). The
leaver's manager and the client's contact get the outcome with who keeps what.

Usage: Tests/notifications/run_notification_tests.py --turnover PATH
"""
import argparse
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import jsonschema
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from sandbox_serve import SandboxServe, totp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SMTP_USER, SMTP_PASSWORD = "turnover-relay", "relay-password-2026"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, what, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise Failure(f"timed out waiting for {what}")


def make_certificates(directory):
    """A CA, and a certificate for localhost signed by it: the SMTP server's."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Turnover test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(directory, "san.ext"), "w") as ext:
        ext.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
        "-days", "2", "-extfile", "san.ext")
    return os.path.join(directory, "ca.pem"), os.path.join(directory, "server.pem"), os.path.join(directory, "server.key")


class Sink:
    """aiosmtpd's handler: keeps every message with whether it came over TLS and signed in."""

    def __init__(self, directory):
        self.messages = []
        self.lock = threading.Lock()
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            name = f"{len(self.messages) + 1:02d}-{envelope.rcpt_tos[0]}.eml"
            with open(os.path.join(self.directory, name), "wb") as saved:
                saved.write(envelope.original_content)
            self.messages.append({
                "to": list(envelope.rcpt_tos), "from": envelope.mail_from, "tls": session.ssl is not None,
                "authenticated": bool(session.authenticated),
                "message": email.message_from_bytes(envelope.original_content, policy=email.policy.default),
            })
        return "250 OK: queued"

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if address in m["to"]]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
    return AuthResult(success=ok)


class Receivers(http.server.ThreadingHTTPServer):
    """/hook: the signed webhook; /teams: the Teams Workflows stand-in."""

    def __init__(self, port, schema):
        super().__init__(("127.0.0.1", port), ReceiverHandler)
        self.secret = None
        self.hooks = []
        self.cards = []
        self.refused_once = None
        self.validator = jsonschema.Draft6Validator(schema)
        self.lock = threading.Lock()


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server = self.server
        with server.lock:
            if self.path == "/hook":
                header = self.headers.get("Turnover-Signature", "")
                parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
                expected = hmac.new(server.secret.encode(), parts.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
                fresh = abs(time.time() - int(parts.get("t", "0"))) < 300
                server.hooks.append({"delivery": self.headers.get("Turnover-Delivery"), "event": self.headers.get("Turnover-Event"),
                                     "valid": hmac.compare_digest(expected, parts.get("v1", "")) and fresh,
                                     "body": json.loads(body)})
                if server.refused_once is None:
                    server.refused_once = self.headers.get("Turnover-Delivery")
                    status = 500
                else:
                    status = 200
            elif self.path == "/teams":
                message = json.loads(body)
                errors = []
                for attachment in message.get("attachments", []):
                    errors += [e.message for e in server.validator.iter_errors(attachment.get("content"))]
                server.cards.append({"message": message, "errors": errors})
                status = 202 if not errors else 400
            else:
                status = 404
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Serve(SandboxServe):
    def api(self, method, path, body=None, token=None):
        try:
            return super().api(method, path, body, token)
        except urllib.error.HTTPError as error:
            raise Failure(f"{method} {path}: {error.code} {error.read().decode()}")

    def page(self, path, session):
        request = urllib.request.Request(self.url + path)
        request.add_header("Cookie", f"turnover_session={session}")
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read().decode()

    def sign_in(self, name, password, totp_secret=None, new_password=None):
        body = {"name": name, "password": password}
        if totp_secret:
            body["totp"] = totp(totp_secret, time.time())
        if new_password:
            body["newPassword"] = new_password
        return self.api("POST", "/sessions", body)["token"]


def text_and_html(message):
    check(message.get_content_type() == "multipart/alternative", f"multipart/alternative, not {message.get_content_type()}")
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    check(set(parts) == {"text/plain", "text/html"}, f"a text and an HTML part, not {sorted(parts)}")
    return parts["text/plain"], parts["text/html"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--turnover", required=True)
    parser.add_argument("--messages", default=os.path.join(os.getcwd(), ".build", "notification-messages"))
    args = parser.parse_args()
    shutil.rmtree(args.messages, ignore_errors=True)
    os.makedirs(args.messages)
    print(f"notification e-mails: {args.messages}", flush=True)
    passed = []

    def step(name):
        passed.append(name)
        print(f"  ok  {name}", flush=True)

    work = tempfile.mkdtemp(prefix="turnover-notify-")
    ca, certificate, key = make_certificates(work)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    sink = Sink(args.messages)
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port, server_hostname="localhost", tls_context=context,
                            require_starttls=True, authenticator=authenticator, auth_required=True, auth_require_tls=True)
    controller.start()

    with open(os.path.join(HERE, "adaptive-card-1.5.schema.json")) as schema_file:
        receivers = Receivers(free_port(), json.load(schema_file))
    threading.Thread(target=receivers.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{receivers.server_port}/hook"
    teams_url = f"http://127.0.0.1:{receivers.server_port}/teams"

    data = os.path.join(work, "data")
    os.makedirs(data)
    # The receiver's secret, printed by the CLI from the instance key that serve will use.
    receivers.secret = subprocess.run([args.turnover, "notify", "secret", "--data-dir", data, "--url", hook_url],
                                      check=True, capture_output=True, text=True).stdout.strip()
    check(receivers.secret.startswith("whsec_"), f"a webhook secret: {receivers.secret!r}")

    environment = dict(os.environ, TURNOVER_SMTP_HOST="localhost", TURNOVER_SMTP_PORT=str(smtp_port),
                       TURNOVER_SMTP_USERNAME=SMTP_USER, TURNOVER_SMTP_PASSWORD=SMTP_PASSWORD,
                       TURNOVER_SMTP_FROM="turnover@msp.example", TURNOVER_SMTP_CA_FILE=ca,
                       TURNOVER_NOTIFY_INTERVAL="0.3", TURNOVER_NOTIFY_RETRY_SCALE="0.05")
    serve = Serve(args.turnover, data=data, environment=environment)
    try:
        admin = serve.sign_in("root", serve.admin_password, serve.admin_totp, "root-own-password-2026")
        tina = serve.api("POST", "/operators", {"name": "tina", "roles": ["technician"], "email": "tina@msp.example"}, admin)
        alex = serve.api("POST", "/operators", {"name": "alex", "roles": ["approver"], "email": "alex@msp.example"}, admin)
        serve.api("POST", "/operators", {"name": "sam", "roles": ["approver"], "tenants": ["fabrikam"],
                                         "email": "sam@msp.example"}, admin)
        serve.api("POST", "/operators", {"name": "dana", "roles": ["approver"]}, admin)

        policy = serve.api("GET", "/tenants/contoso", token=admin)["policyYAML"]
        policy += f"""notifications:
  contact: it-contact@contoso.example
  routes:
    - on: [approval-needed]
      email: [approvers]
    - on: [submitted, completed, partial, failed]
      email: [submitter]
    - on: [completed, partial, failed]
      email: [manager, contact]
    - on: all
      webhook: {hook_url}
    - on: [approval-needed, completed, partial, failed]
      teams: {teams_url}
"""
        serve.api("PUT", "/tenants/contoso/policy", {"yaml": policy}, admin)

        tina_token = serve.sign_in("tina", tina["initialPassword"], new_password="tina-own-password-2026")
        leaver = "ben.carter@contoso.com"
        # The manager as the directory has it before the run (the run removes the manager link).
        state = json.loads(urllib.request.urlopen(serve.simulator + "/_sim/tenants", timeout=30).read())
        tenant_id = next(t["tenantId"] for t in state if t["name"] == "Contoso")
        users = json.loads(urllib.request.urlopen(f"{serve.simulator}/_sim/tenants/{tenant_id}/state", timeout=60).read())["users"]
        ben = next(u for u in users.values() if u["userPrincipalName"] == leaver)
        manager = users[ben["managerId"]]["userPrincipalName"]
        submitted = serve.api("POST", "/offboardings", {"tenant": "contoso", "userPrincipalName": leaver}, tina_token)
        offboarding = submitted["id"]

        # The approval request: to the approvers of this tenant who have an address, and nobody else.
        request_mail = wait_until(lambda: sink.to("alex@msp.example"), "alex's approval request")[0]
        check(request_mail["tls"] and request_mail["authenticated"], "the relay was reached over STARTTLS and signed in to")
        message = request_mail["message"]
        check("Approval needed" in message["Subject"] and "Ben Carter" in message["Subject"], f"subject: {message['Subject']}")
        check(message["From"] == "Turnover <turnover@msp.example>", f"From: {message['From']}")
        text, html = text_and_html(message)
        link = re.search(r"(http://\S+/offboardings/" + re.escape(offboarding) + r"\?link=\S+)", text)
        check(link, f"the approval request carries the signed link:\n{text}")
        check(link.group(1).replace("&", "&amp;") in html, "the HTML part links the same page")
        check("the link alone approves nothing" in text, "the request says the link approves nothing")
        tina_mail = wait_until(lambda: sink.to("tina@msp.example"), "tina's submitted notice")
        check("submitted" in tina_mail[0]["message"]["Subject"], f"tina's first message: {tina_mail[0]['message']['Subject']}")
        time.sleep(1.5)
        check(not sink.to("sam@msp.example"), "sam approves another tenant only: no mail")
        check(not sink.to("tina@msp.example")[1:], "the submitter is not asked to approve her own offboarding")
        step("approval request e-mailed (STARTTLS + AUTH, multipart text + HTML) to alex only, with a signed link")

        # The link opens the page for a signed-in approver, and says it approves nothing; an altered one is refused.
        alex_token = serve.sign_in("alex", alex["initialPassword"], alex["totpSecret"], "alex-own-password-2026")
        path = link.group(1)[len(serve.url):]
        check("nothing is approved until you approve it here" in serve.page(path, alex_token), "the link's page explains itself")
        tampered = path[:-1] + ("0" if path[-1] != "0" else "1")
        check("expired or was altered" in serve.page(tampered, alex_token), "an altered link is called out")
        check(serve.api("GET", f"/offboardings/{offboarding}", token=admin)["status"] == "awaiting-approval",
              "opening the link approved nothing")
        step("the signed link opens the approval page for a signed-in approver; an altered link is called out; nothing approved")

        serve.api("POST", f"/offboardings/{offboarding}/approve", {"comment": "Ticket 4411"}, alex_token)
        final = wait_until(lambda: (lambda o: o if o["status"] not in ("approved", "running") else None)(
            serve.api("GET", f"/offboardings/{offboarding}", token=admin)), "the run to finish", timeout=300)
        check(final["status"] == "succeeded", f"the run ended {final['status']}")

        # The outcome: to the submitter, the manager and the contact, with who keeps what for the latter two.
        for address in ["tina@msp.example", manager, "it-contact@contoso.example"]:
            done = wait_until(lambda: [m for m in sink.to(address) if "completed" in m["message"]["Subject"]],
                              f"the completed notice to {address}")
            text, _ = text_and_html(done[0]["message"])
            check(offboarding in text, f"the notice to {address} names the offboarding")
            keeps = "Who keeps what" in text
            check(keeps == (address != "tina@msp.example"), f"who keeps what goes to the manager and contact only ({address})")
            if keeps:
                check("Convert the mailbox" in text or "shared" in text.lower(), f"the summary says what happens to the mailbox:\n{text}")
        check(not sink.to("sam@msp.example") and not [m for m in sink.messages if not m["to"]], "nobody else was written to")
        step(f"completed notice to the submitter, the manager ({manager}) and the contact; who-keeps-what to the latter two")

        # The webhook: every signature verifies, the refused delivery came again, every event arrived.
        wait_until(lambda: any(h["event"] == "completed" for h in receivers.hooks), "the completed webhook")
        check(all(h["valid"] for h in receivers.hooks), "every webhook signature verifies with the printed secret")
        refused = [h for h in receivers.hooks if h["delivery"] == receivers.refused_once]
        check(len(refused) == 2, f"the delivery answered 500 was retried once: {len(refused)} attempts")
        check(refused[0]["body"] == refused[1]["body"], "the retry sends the same body")
        events = [h["event"] for h in receivers.hooks]
        for event in ["submitted", "approval-needed", "approved", "started", "completed"]:
            check(event in events, f"the webhook got {event}: {events}")
        step(f"webhook: {len(receivers.hooks)} signed deliveries, the one answered 500 retried with the same body")

        # Teams: every card is valid Adaptive Card 1.5 JSON, and the approval card opens the page.
        wait_until(lambda: len(receivers.cards) >= 2, "the Teams cards")
        check(all(not c["errors"] for c in receivers.cards), f"every card validates: {[c['errors'] for c in receivers.cards]}")
        approval_card = receivers.cards[0]["message"]["attachments"][0]["content"]
        check(receivers.cards[0]["message"]["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive",
              "the attachment is an Adaptive Card")
        check(approval_card["actions"][0]["type"] == "Action.OpenUrl" and "?link=" in approval_card["actions"][0]["url"],
              "the approval card links the signed page")
        # The validator itself refuses a broken card, so the check above could fail.
        check(list(receivers.validator.iter_errors({"type": "AdaptiveCard", "body": [{"type": "TextBlock"}]})),
              "the schema refuses a TextBlock without text")
        step(f"Teams: {len(receivers.cards)} Adaptive Cards validate against the 1.5 schema")

        # The record: every delivery with its attempts, through the API.
        deliveries = serve.api("GET", f"/offboardings/{offboarding}/notifications", token=admin)
        check(all(d["status"] == "delivered" for d in deliveries), f"all delivered: {[(d['target'], d['status']) for d in deliveries]}")
        retried = next(d for d in deliveries if d["id"] == receivers.refused_once)
        check([a["code"] for a in retried["attempts"]] == [500, 200], f"the retried delivery's attempts: {retried['attempts']}")
        check(not any(d["target"] == "sam@msp.example" for d in deliveries), "no delivery for sam")
        step(f"the API lists {len(deliveries)} deliveries with their attempts (500 then 200 for the retried webhook)")
    except Exception:
        print(open(serve.err_path).read()[-4000:], file=sys.stderr)
        raise
    finally:
        serve.stop()
        controller.stop()
        receivers.shutdown()
    print(f"notifications: {len(passed)} checks passed")


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
