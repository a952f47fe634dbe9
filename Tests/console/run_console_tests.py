#!/usr/bin/env python3
"""The web console, driven in real headless Chromium by Selenium against `turnover serve --sandbox`.

A technician signs in (choosing their own password), runs the wizard for Isla Jones (sole owner of
two groups), sees the blocker, clears it by choosing a successor, and submits. An approver signs in
with a TOTP code in a second browser at phone width and approves. The technician's page follows the
run live to "completed", and opens the report. The simulator's state is then checked for the
leaver. An admin adds a tenant (seeing its permission table), edits a policy (line-numbered errors,
then a diff), and looks at operators, tokens and the audit log. A technician is refused the
operators page, and a form posted without its CSRF token is refused and changes nothing.

Every page is saved as a screenshot in the folder printed at the start.

Usage: Tests/console/run_console_tests.py --turnover PATH [--screenshots DIR]
"""
import argparse
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from sandbox_serve import SandboxServe, totp  # noqa: E402

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

LAPTOP = (1280, 900)
PHONE = (390, 844)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Serve(SandboxServe):
    """`turnover serve --sandbox` in its own process, on a free port, with the simulator's state at hand."""

    def __init__(self, binary):
        super().__init__(binary, data=tempfile.mkdtemp(prefix="turnover-console-"))

    def simulator_state(self, tenant="Contoso"):
        with urllib.request.urlopen(self.simulator + "/_sim/tenants", timeout=30) as response:
            tenants = json.loads(response.read())
        tenant_id = next(t["tenantId"] for t in tenants if t["name"] == tenant)
        with urllib.request.urlopen(f"{self.simulator}/_sim/tenants/{tenant_id}/state", timeout=60) as response:
            return json.loads(response.read())

    def simulator_app(self, tenant, name):
        with urllib.request.urlopen(self.simulator + "/_sim/tenants", timeout=30) as response:
            tenants = json.loads(response.read())
        found = next(t for t in tenants if t["name"] == tenant)
        return found["tenantId"], next(a for a in found["apps"] if a["displayName"] == name)


class Browser:
    """One Chromium session: its own cookies, as a second operator at another desk has."""

    def __init__(self, base, shots, label, size):
        options = Options()
        options.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         f"--window-size={size[0]},{size[1]}", "--force-device-scale-factor=1"]:
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")),
                                       options=options)
        self.driver.set_window_size(*size)
        self.size = size
        self.base = base
        self.shots = shots
        self.label = label
        self.wait = WebDriverWait(self.driver, 30)

    def open(self, path):
        self.driver.get(self.base + path)

    def shot(self, name):
        # The full page, not only the first screen: the window grows to the document's height.
        self.driver.set_window_size(*self.size)
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(self.size[0], max(self.size[1], min(height + 90, 6000)))
        path = os.path.join(self.shots, f"{self.label}-{name}.png")
        self.driver.save_screenshot(path)
        self.driver.set_window_size(*self.size)
        return path

    def find(self, css):
        return self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def click(self, css, navigates=True):
        """Clicks, and when the click loads another page, waits until the old one is gone."""
        element = self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        if navigates:
            def gone(_):
                try:
                    page.is_enabled()
                    return False
                except Exception:  # noqa: BLE001 - stale, or "node does not belong to the document"
                    return True
            self.wait.until(gone)

    def type(self, css, text, clear=True):
        element = self.find(css)
        if clear:
            element.clear()
        element.send_keys(text)

    def heading(self):
        return self.find("h1").text

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def sign_in(self, name, password, new_password=None, totp_secret=None, shoot=False):
        self.open("/signin")
        self.type("#name", name)
        self.type("#password", password)
        if shoot:
            self.shot("signin")
        self.click("button[type=submit].primary")
        if totp_secret or new_password:
            self.find("form[action='/signin/continue']")
            if totp_secret:
                # A code near the end of its 30 s could expire in flight; wait for a fresh one.
                if 30 - time.time() % 30 < 3:
                    time.sleep(3.5)
                self.type("#code", totp(totp_secret, time.time()))
            if new_password:
                self.type("#newPassword", new_password)
                self.type("#confirmPassword", new_password)
            if shoot:
                self.shot("signin-continue")
            self.click("form[action='/signin/continue'] button[type=submit]")
        self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "form.signout"))

    def session_cookie(self):
        cookie = self.driver.get_cookie("turnover_session")
        check(cookie is not None, f"{self.label}: no session cookie after signing in")
        check(cookie.get("httpOnly") is True, "the session cookie must be HttpOnly")
        check(cookie.get("sameSite") == "Strict", f"the session cookie must be SameSite=Strict, not {cookie.get('sameSite')}")
        return cookie["value"]

    def quit(self):
        self.driver.quit()


def raw_request(serve, method, path, session=None, form=None):
    """A request outside the browser, with a session cookie: to read status codes and headers."""
    data = urllib.parse.urlencode(form or {}).encode() if form is not None else None
    request = urllib.request.Request(serve.url + path, method=method, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if session:
        request.add_header("Cookie", "turnover_session=" + session)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--turnover", required=True)
    parser.add_argument("--screenshots", default=os.path.join(os.getcwd(), ".build", "console-screenshots"))
    args = parser.parse_args()
    shutil.rmtree(args.screenshots, ignore_errors=True)
    os.makedirs(args.screenshots)
    print(f"console screenshots: {args.screenshots}", flush=True)

    serve = Serve(args.turnover)
    browsers = []
    passed = []

    def step(name):
        passed.append(name)
        print(f"  ok  {name}", flush=True)

    try:
        # The team, made through the REST API by the bootstrap admin.
        admin_password = "root-own-password-2026"
        admin_token = serve.api("POST", "/sessions", {"name": "root", "password": serve.admin_password,
                                                      "totp": totp(serve.admin_totp, time.time()),
                                                      "newPassword": admin_password})["token"]
        tina = serve.api("POST", "/operators", {"name": "tina", "roles": ["technician"]}, token=admin_token)
        alex = serve.api("POST", "/operators", {"name": "alex", "roles": ["approver"]}, token=admin_token)

        # 1. The technician signs in, choosing their own password, on a laptop-sized window.
        technician = Browser(serve.url, args.screenshots, "technician", LAPTOP)
        browsers.append(technician)
        technician.sign_in("tina", tina["initialPassword"], new_password="tina-own-password-2026", shoot=True)
        check(technician.heading() == "Dashboard", f"after signing in: {technician.heading()}")
        technician.shot("dashboard")
        step("technician signs in (first sign-in chooses a password)")

        # 2. The wizard: tenant, user, the sole-owner blocker, a successor picked from the directory.
        technician.click("a.button.primary[href='/offboard']")
        technician.find("ol.progress")
        technician.shot("wizard-tenant")
        technician.click("a.button[href='/offboard/contoso']")
        technician.type("#search", "Isla")
        technician.shot("wizard-user-search")
        technician.click("form[role=search] button")
        technician.click("a.person")
        technician.find("#plan-h")
        blocker = technician.find(".blocker")
        check("only owner" in blocker.text, f"the sole-owner blocker should show: {blocker.text}")
        check(technician.find("#submit-plan").get_attribute("disabled") is not None, "a blocked plan cannot be submitted")
        technician.shot("wizard-blocked")
        # The picker searches the directory as the technician types.
        technician.type(".blocker #successor", "Kate")
        technician.wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('#people option')].map(o => o.value)").count("kate.lopez@contoso.com") == 1)
        technician.type(".blocker #successor", "kate.lopez@contoso.com")
        technician.click("#apply-successor")
        technician.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".blocker"))
        plan_text = technician.find("section.plan").text
        check("Kate Lopez" in plan_text, f"the plan should hand the groups to Kate Lopez:\n{plan_text}")
        check(technician.find("#submit-plan").get_attribute("disabled") is None, "the cleared plan can be submitted")
        technician.shot("wizard-plan")
        step("wizard shows the sole-owner blocker and clears it in place with a successor from the picker")

        technician.click("#submit-plan")
        technician.wait.until(lambda d: re.search(r"/offboardings/[^/]+$", d.current_url))
        offboarding_path = urllib.parse.urlparse(technician.driver.current_url).path
        offboarding_id = offboarding_path.rsplit("/", 1)[1]
        check(technician.find("#status").text == "awaiting approval", f"status after submit: {technician.find('#status').text}")
        technician.shot("offboarding-submitted")
        step(f"plan submitted for approval ({offboarding_id})")

        # 3. A technician may not open the operators page, and a form without its CSRF token is refused.
        technician.open("/operators")
        check(technician.heading() == "You cannot do this", f"operators page for a technician: {technician.heading()}")
        check("admin" in technician.find(".alert.bad").text, "the refusal names the role needed")
        technician.shot("forbidden-operators")
        session = technician.session_cookie()
        status, _, _ = raw_request(serve, "GET", "/operators", session=session)
        check(status == 403, f"GET /operators as a technician answered {status}")
        # The browser's own cancel form, with its token removed before it is sent.
        technician.open(offboarding_path)
        technician.driver.execute_script(
            "document.querySelector(\"form[action$='/cancel'] input[name=csrf]\").remove()")
        technician.type("#cancel-reason", "testing the CSRF check")
        technician.click("#cancel")
        check(technician.heading() == "You cannot do this", f"a form without its token: {technician.heading()}")
        check("security token" in technician.find(".alert.bad").text, "the refusal says the token was missing")
        technician.shot("csrf-refused")
        status, _, _ = raw_request(serve, "POST", offboarding_path + "/cancel", session=session, form={"reason": "forged"})
        check(status == 403, f"a POST without a token answered {status}")
        status, _, _ = raw_request(serve, "POST", offboarding_path + "/cancel", session=session,
                                   form={"reason": "forged", "csrf": "0" * 64})
        check(status == 403, f"a POST with a wrong token answered {status}")
        still = serve.api("GET", "/offboardings/" + offboarding_id, token=admin_token)
        check(still["status"] == "awaiting-approval", f"a refused form changed the offboarding: {still['status']}")
        check(raw_request(serve, "GET", "/offboardings/" + offboarding_id + "/cancel", session=session)[0] in (404, 405),
              "a GET must not cancel")
        step("technician is refused the operators page; forms without (or with a wrong) CSRF token are refused and change nothing")

        # The technician now watches the run page, which follows the offboarding live.
        technician.open(offboarding_path)
        technician.find("#status[data-live]")

        # 4. The approver, in a second browser at phone width, signs in with TOTP and approves.
        approver = Browser(serve.url, args.screenshots, "approver-phone", PHONE)
        browsers.append(approver)
        approver.sign_in("alex", alex["initialPassword"], new_password="alex-own-password-2026",
                         totp_secret=alex["totpSecret"], shoot=True)
        approver.shot("dashboard")
        approver.open("/approvals")
        approver.shot("approvals")
        approver.click(f"a[href='{offboarding_path}']")
        approver.find("#approve-form")
        approver.shot("offboarding-to-approve")
        approver.type("#comment", "checked with HR")
        approver.click("#approve")
        approver.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#approve-form"))
        step("approver signs in with a TOTP code at phone width and approves")

        # 5. The technician's page reaches "completed" by itself (server-sent events), then the report.
        # The page follows the run over SSE and reloads when it ends; the reloaded page is the server's
        # final word (no data-live), read in one script so a reload in between cannot tear the read.
        final_status = """const s = document.getElementById('status');
            return s && !s.hasAttribute('data-live') ? s.textContent.trim() : null;"""
        final = WebDriverWait(technician.driver, 180, ignored_exceptions=[WebDriverException]).until(
            lambda d: d.execute_script(final_status))
        if final != "completed":
            record = serve.api("GET", "/offboardings/" + offboarding_id, token=admin_token)
            raise Failure(f"the run ended {final} ({record['status']}): {record.get('notes')} "
                          f"{[(st['id'], st['status'], st.get('error')) for st in record['steps'] if st['status'] != 'succeeded']}")
        technician.find("#report-links:not([hidden])")
        technician.shot("run-completed")
        technician.click("#open-report")
        check(technician.find("#report-status").text == "completed", "the report says completed")
        technician.shot("report")
        step("the live run page reaches completed and opens the report")

        for kind in ("md", "json", "html?download=1"):
            status, headers, body = raw_request(serve, "GET", f"{offboarding_path}/report.{kind}", session=session)
            check(status == 200 and "attachment" in headers.get("Content-Disposition", ""), f"report.{kind}: {status}")
            check("isla.jones@contoso.com" in body, f"report.{kind} names the leaver")
            if kind.startswith("html"):
                check("<style>" in body and "/assets/" not in body, "the downloaded HTML report stands alone")

        # The evidence pack from the run page: a ZIP any tool reads, with its signed manifest.
        status, headers, _ = raw_request(serve, "GET", f"{offboarding_path}/evidence.zip", session=session)
        check(status == 200 and headers.get("Content-Type") == "application/zip", f"evidence.zip: {status}")
        request = urllib.request.Request(serve.url + offboarding_path + "/evidence.zip")
        request.add_header("Cookie", "turnover_session=" + session)
        with urllib.request.urlopen(request, timeout=60) as response:
            pack = zipfile.ZipFile(io.BytesIO(response.read()))
        check(pack.testzip() is None, "every file of the pack matches its CRC")
        manifest = json.loads(pack.read("manifest.json"))
        listed = {entry["path"] for entry in manifest["files"]}
        check({"steps.json", "approvals.json", "audit.json", "report.html"} <= listed, f"the manifest lists {sorted(listed)}")
        for entry in manifest["files"]:
            check(hashlib.sha256(pack.read(entry["path"])).hexdigest() == entry["sha256"], f"{entry['path']} matches the manifest")
        step("the run page's evidence pack is a standard ZIP whose files match its manifest")

        # 6. The simulator's state for the leaver, as Microsoft would hold it.
        state = serve.simulator_state()
        isla_id, isla = next((key, user) for key, user in state["users"].items() if user.get("userPrincipalName") == "isla.jones@contoso.com")
        kate_id = next(key for key, user in state["users"].items() if user.get("userPrincipalName") == "kate.lopez@contoso.com")
        check(isla["accountEnabled"] is False, "Isla can no longer sign in")
        for group in state["groups"].values():
            if group["displayName"] in ("Project Falcon", "Falcon Secure Share"):
                owners = group.get("owners", [])
                check(kate_id in owners and isla_id not in owners,
                      f"{group['displayName']} should be owned by Kate and not Isla: {owners}")
        mailbox = next(m for m in state["mailboxes"].values() if m.get("alias") == "isla.jones")
        # Exchange converts a mailbox in the background; the type Get-Mailbox reports once it has.
        mailbox_type = (mailbox.get("pendingConversion") or {}).get("to") or mailbox.get("type")
        check(mailbox_type == "SharedMailbox", f"Isla's mailbox is {mailbox_type}")
        check(not isla.get("directLicenses"), f"Isla's licences were removed: {isla.get('directLicenses')}")
        step("the simulator holds Isla blocked, her groups owned by Kate, her mailbox shared and unlicensed")

        # 7. The admin's pages: tenants (adding one, with its permission table), the policy editor,
        # operators, tokens and the audit log.
        admin = Browser(serve.url, args.screenshots, "admin", LAPTOP)
        browsers.append(admin)
        admin.sign_in("root", admin_password, totp_secret=serve.admin_totp)
        admin.open("/tenants")
        admin.shot("tenants")
        admin.click("a[href='/tenants/new']")
        tenant_id, app = serve.simulator_app("Tailspin", "Turnover (Graph only)")
        admin.type("#name", "tailspin-graph")
        admin.type("#tenantId", tenant_id)
        admin.type("#clientId", app["clientId"])
        admin.find("#cloud option[value=simulator]").click()
        admin.type("#simulatorURL", serve.simulator)
        admin.type("#clientSecret", "wrong-secret")
        admin.click("form[action='/tenants'] button[type=submit]")
        error = admin.find("#form-error").text
        check("could not sign in" in error and "was not saved" in error, f"a wrong secret: {error}")
        check(admin.find("#tenantId").get_attribute("value") == tenant_id, "a refused form keeps what was typed")
        admin.shot("tenant-new-refused")
        admin.type("#clientSecret", app["clientSecret"])
        admin.click("form[action='/tenants'] button[type=submit]")
        admin.find("table.matrix")
        check("Exchange.ManageAsApp" in admin.find("table.matrix thead").text, "the matrix has a column per permission")
        check(admin.driver.find_elements(By.CSS_SELECTOR, "td.cell.missing"), "the Graph-only app lacks Exchange permissions")
        admin.shot("tenant-permissions")
        admin.open("/tenants/tailspin-graph")
        admin.shot("tenant")
        admin.open("/tenants/contoso/users?search=a")
        check(len(admin.driver.find_elements(By.CSS_SELECTOR, "tbody tr")) > 0, "the user search finds people")
        admin.shot("users")
        step("admin adds a tenant (a wrong secret is refused, the typed fields stay) and sees steps × permissions")

        admin.open("/tenants/contoso/policy")
        admin.shot("policy")
        admin.type("#yaml", "name: contoso\nsteps: [block-sign-in]\nretainMailboxDays: soon\nfavouriteColour: blue\n")
        admin.click("#review-policy")
        errors = admin.find("#policy-errors").text
        check("line 3" in errors and "line 4" in errors, f"line-numbered errors: {errors}")
        check(admin.driver.find_elements(By.CSS_SELECTOR, "ol.numbered li.bad"), "the bad lines are marked")
        check("favouriteColour" in admin.find("#yaml").get_attribute("value"), "a refused policy keeps what was typed")
        admin.shot("policy-errors")
        # The saved policy, edited in place: one line changed, one added.
        admin.open("/tenants/contoso/policy")
        current = admin.find("#yaml").get_attribute("value")
        check("expiresHours: 24" in current, f"the editor shows the saved policy:\n{current}")
        edited = current.replace("expiresHours: 24", "expiresHours: 48").rstrip("\n") + "\nretainMailboxDays: 60\n"
        admin.driver.execute_script("arguments[0].value = arguments[1]", admin.find("#yaml"), edited)
        admin.click("#review-policy")
        removed = [e.text for e in admin.driver.find_elements(By.CSS_SELECTOR, "pre.diff .removed")]
        added = [e.text for e in admin.driver.find_elements(By.CSS_SELECTOR, "pre.diff .added")]
        check(any("expiresHours: 24" in line for line in removed), f"the diff shows the changed line as removed: {removed}")
        check(any("expiresHours: 48" in line for line in added) and any("retainMailboxDays: 60" in line for line in added),
              f"the diff shows the new lines: {added}")
        check(len(removed) == 1, f"only the changed line is removed: {removed}")
        admin.shot("policy-diff")
        admin.click("#save-policy")
        admin.find(".alert.good")
        saved = serve.api("GET", "/tenants/contoso", token=admin_token)
        check("retainMailboxDays: 60" in (saved.get("policyYAML") or ""), "the policy was saved")
        step("policy editor: line-numbered errors keep the text; a valid policy shows its diff, then saves")

        admin.open("/operators")
        admin.type("#op-name", "aud")
        admin.click("#role-auditor", navigates=False)
        admin.click("form[action='/operators'] button[type=submit]")
        check(admin.find("#initial-password").text, "a new operator's initial password is shown once")
        admin.shot("operators")
        admin.open("/tokens")
        admin.type("#token-name", "psa-sync")
        admin.click("form[action='/tokens'] button[type=submit]")
        check(admin.find("#token-secret").text.startswith("tot_"), "a new token's secret is shown once")
        admin.shot("tokens")
        admin.open("/audit")
        check("intact" in admin.find("#chain-status").text, f"audit chain: {admin.find('#chain-status').text}")
        admin.shot("audit")
        admin.open("/offboardings")
        admin.shot("offboardings")
        admin.open("/")
        check("Licences freed" in admin.text(), "the dashboard shows licences freed")
        admin.shot("dashboard")
        step("admin adds an operator and a token, and reads the verified audit log")

        # 8. Approve with changes, and undo from the run page; at phone width as well.
        technician.open("/offboard/contoso/plan?user=" + urllib.parse.quote("jack.kim@contoso.com"))
        technician.find("#plan-h")
        if technician.driver.find_elements(By.CSS_SELECTOR, ".blocker #successor"):
            technician.type(".blocker #successor", "tara.vogel@contoso.com")
            technician.click("#apply-successor")
        technician.click("#submit-plan")
        technician.wait.until(lambda d: re.search(r"/offboardings/[^/]+$", d.current_url))
        second_path = urllib.parse.urlparse(technician.driver.current_url).path
        approver.open(second_path)
        boxes = approver.driver.find_elements(By.CSS_SELECTOR, "#approve-form input[name=keep]")
        check(len(boxes) > 2, "the approver sees the steps to keep")
        approver.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", boxes[-1])
        boxes[-1].click()
        approver.click("#approve")
        approver.find("#confirm-approve")
        check(approver.driver.find_elements(By.CSS_SELECTOR, ".diff-list li.removed"), "the diff shows what will not run")
        approver.shot("approve-with-changes")
        approver.click("#confirm-approve")
        approver.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#confirm-approve"))
        second = serve.api("GET", "/offboardings/" + second_path.rsplit("/", 1)[1], token=admin_token)
        check(any("approved with changes" in note for note in second["notes"]), f"notes: {second['notes']}")
        step("approver approves with changes after seeing the diff (phone width)")

        technician.open(offboarding_path)
        technician.click("#undo")
        technician.wait.until(lambda d: re.search(r"/offboardings/[^/]+$", d.current_url) and d.current_url.rstrip("/") != serve.url + offboarding_path)
        check("undoes" in technician.text(), "the undo is an offboarding of its own, awaiting approval")
        technician.shot("undo-submitted")
        step("undo is submitted from the run page, for approval like any plan")

        # A scheduled offboarding from the wizard: the end of Isla's last day, in her mailbox's zone (Tokyo).
        technician.open("/offboard/contoso/plan?user=" + urllib.parse.quote("isla.jones@contoso.com"))
        technician.find("#plan-h")
        technician.click("#when-last-day", navigates=False)
        technician.click("#submit-plan")
        check(technician.heading().startswith("Offboard"), "a last day left empty is asked for")
        check("Choose the leaver's last day" in technician.find("#wizard-error").text, "the wizard says what is missing")
        technician.driver.execute_script("document.getElementById('lastDay').value = '2030-03-29'")
        technician.click("#submit-plan")
        technician.wait.until(lambda d: re.search(r"/offboardings/[^/]+$", d.current_url))
        timing = technician.find("#timing").text
        check(timing.startswith("the end of the last day, 2030-03-29 17:30 Asia/Tokyo (2030-03-29T08:30:00Z)"), f"timing: {timing}")
        technician.shot("offboarding-scheduled")
        technician.open("/")
        check("runs 2030-03-29 08:30:00 UTC" in technician.find("#scheduled-h").find_element(By.XPATH, "..").text, "the dashboard lists it")
        technician.shot("dashboard-scheduled")
        step("the wizard schedules the end of the leaver's last day in their own zone; the dashboard lists it")

        # From a ticket: what the rules read, each value with its words; an unknown person is a blocker.
        technician.open("/offboard/contoso")
        technician.click("#from-ticket")
        technician.type("#subject", "Leaver")
        technician.type("#body", "Hi team,\nBen Carter's last day is 2030-04-05. Please forward his email to Kate Lopez.\nThanks,\nDan")
        technician.click("#read-ticket")
        reading = technician.find("#ticket-reading").text
        check("Ben Carter <ben.carter@contoso.com>" in reading and "from “Ben Carter" in reading, f"the leaver with its words:\n{reading}")
        check("Kate Lopez <kate.lopez@contoso.com>" in reading and "2030-04-05" in reading, f"forwarding and day:\n{reading}")
        technician.shot("ticket-read")
        technician.click("#continue-wizard")
        technician.find("#plan-h")
        check(technician.find("#forwarding").get_attribute("value") == "kate.lopez@contoso.com", "the wizard has the forwarding target")
        check(technician.find("#lastDay").get_attribute("value") == "2030-04-05", "the wizard has the last day")
        technician.shot("ticket-wizard")
        technician.open("/offboard/contoso/ticket")
        technician.type("#body", "Zed Quinnell is leaving on Friday, please offboard him.")
        technician.click("#read-ticket")
        check("Zed Quinnell" in technician.find(".blocker").text, "an unknown person is a blocker")
        check(not technician.driver.find_elements(By.CSS_SELECTOR, "#continue-wizard"), "a blocked ticket cannot go on to the wizard")
        technician.shot("ticket-blocked")
        step("a ticket's text becomes the wizard's choices, each value shown with its words; an unknown person blocks it")

        # From the PSA: the sandbox HaloPSA's leaver ticket, imported by its id, waits for approval with notes back.
        technician.open("/offboard/contoso/ticket")
        technician.type("#ticket", serve.halo_ticket)
        technician.shot("psa-import-form")
        technician.click("#import-ticket")
        page = technician.find("main").text
        check(f"From sandbox-halopsa ticket {serve.halo_ticket}" in page, f"the offboarding names its ticket:\n{page[:1500]}")
        check("ben.carter@contoso.com" in page, "the ticket's leaver is the offboarding's")
        technician.shot("psa-imported")
        deadline = time.time() + 30
        ticket = {}
        while time.time() < deadline:
            with urllib.request.urlopen(f"{serve.halo}/_sim/tickets/{serve.halo_ticket}", timeout=10) as response:
                ticket = json.loads(response.read())
            if any("submitted" in note["text"] and note["isInternal"] for note in ticket["notes"]):
                break
            time.sleep(0.5)
        check(any("submitted" in note["text"] and note["isInternal"] for note in ticket["notes"]),
              f"the submission's internal note is on the Halo ticket: {ticket}")
        technician.open("/offboard/contoso/ticket")
        technician.type("#ticket", serve.halo_ticket)
        technician.click("#import-ticket")
        check("imported before" in technician.find("#psa-import-outcome").text, "a ticket is imported once")
        step("a HaloPSA ticket imported by its id becomes an offboarding awaiting approval, with an internal note on the ticket")

        # Security headers on a page.
        status, headers, _ = raw_request(serve, "GET", "/signin")
        policy = headers.get("Content-Security-Policy", "")
        check("script-src 'self'" in policy and "unsafe-inline" not in policy, f"CSP: {policy}")
        check(headers.get("X-Frame-Options") == "DENY", "X-Frame-Options")
        check(headers.get("Referrer-Policy") == "no-referrer", "Referrer-Policy")
        step("pages carry a strict CSP (no inline script), X-Frame-Options DENY and Referrer-Policy")
    except Exception as error:  # noqa: BLE001 - every failure is reported with the page it happened on
        for browser in browsers:
            try:
                print(f"--- {browser.label} was at {browser.driver.current_url}; screenshot {browser.shot('failure')}")
            except Exception:  # noqa: BLE001
                pass
        import traceback
        traceback.print_exc()
        print(f"FAILED after {len(passed)} checks: {str(error)[:2000]}", file=sys.stderr)
        print(open(serve.err_path).read()[-4000:], file=sys.stderr)
        return 1
    finally:
        for browser in browsers:
            browser.quit()
        serve.stop()
    shots = sorted(os.listdir(args.screenshots))
    print(f"console: {len(passed)} checks passed; {len(shots)} screenshots in {args.screenshots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
