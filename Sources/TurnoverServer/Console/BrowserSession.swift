import Crypto
import Foundation
import Hummingbird
import TurnoverCore
import TurnoverStore

/// How a browser proves who it is. The session's secret travels only in an HttpOnly, SameSite=Strict
/// cookie; every form carries a CSRF token derived from that secret. A page of another site can
/// neither read the cookie nor compute the token, so it cannot post a form in the operator's name,
/// and the token needs no state of its own: any `turnover serve` on the same database checks it.
struct BrowserSession: Sendable {
    static let cookie = "turnover_session"
    /// A sign-in half done (the password checked, the code still to come).
    static let pendingCookie = "turnover_signin"
    /// Before there is a session, the sign-in form is protected by a random token that is both in
    /// this cookie and in the form (a double submit): another site can set neither.
    static let signInCSRFCookie = "turnover_csrf"

    var secret: String
    var principal: Principal

    var csrfToken: String { Self.csrfToken(for: secret) }

    static func csrfToken(for secret: String) -> String {
        SHA256.hash(data: Data("turnover-console-csrf\u{0}\(secret)".utf8)).map { String(format: "%02x", $0) }.joined()
    }

    func accepts(csrfToken token: String?) -> Bool {
        guard let token else { return false }
        return Self.constantTimeEqual(token, csrfToken)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static let csrfRefusal = APIProblem(
        status: 403, title: "Form refused",
        detail:
            "This form did not carry its security token, so nothing was changed. It may be stale or come from another site: reload the page and send it again."
    )

    /// The browser's session, if its cookie names a live one.
    static func current(_ request: Request, accounts: OperatorAccounts) async throws -> BrowserSession? {
        guard let secret = request.cookies[cookie]?.value, secret.hasPrefix("tos_"),
            let principal = try await accounts.authenticate(bearer: secret)
        else { return nil }
        return BrowserSession(secret: secret, principal: principal)
    }

    static func cookie(_ name: String, value: String, maxAge: Int, secure: Bool) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}

/// Signing in (name and password, then the second factor or a new password on a page of its own)
/// and out.
enum SignInPages {
    struct SignInView {
        var csrf: String
        var next: String
        var name: String
        var error: String?
    }

    struct ContinueView {
        var csrf: String
        var next: String
        var needsCode: Bool
        var needsNewPassword: Bool
        var error: String?
    }

    static func register(_ console: Console, on router: Router<BasicRequestContext>) {
        router.get("/signin") { request, _ -> Response in
            let query = FormFields(query: request.uri.query ?? "")
            if try await BrowserSession.current(request, accounts: console.accounts) != nil {
                return .redirect(to: safeNext(query["next"]), type: .normal)
            }
            return signInForm(console, request: request, next: safeNext(query["next"]), name: "", error: nil)
        }
        router.post("/signin") { request, _ -> Response in
            let form = try await FormFields.read(request)
            let next = safeNext(form["next"])
            guard let expected = request.cookies[BrowserSession.signInCSRFCookie]?.value,
                BrowserSession.constantTimeEqual(form["csrf"] ?? "", expected)
            else {
                return signInForm(
                    console, request: request, next: next, name: form["name"] ?? "",
                    error: "The sign-in form had expired. Type your name and password again.", status: .forbidden)
            }
            do {
                let progress = try await console.accounts.beginSignIn(
                    name: OperatorName(form["name"] ?? ""), password: form.raw("password"))
                return answer(console, progress, next: next, request: request)
            } catch {
                let problem = APIMiddleware.problem(for: error)
                return signInForm(
                    console, request: request, next: next, name: form["name"] ?? "", error: problem.detail,
                    status: .init(code: problem.status))
            }
        }
        router.post("/signin/continue") { request, _ -> Response in
            let form = try await FormFields.read(request)
            let next = safeNext(form["next"])
            guard let pending = request.cookies[BrowserSession.pendingCookie]?.value,
                BrowserSession.accepts(form["csrf"], pending: pending)
            else {
                return signInForm(
                    console, request: request, next: next, name: "", error: "This sign-in expired. Start again.", status: .forbidden)
            }
            do {
                // Checked before anything else, so a typo in the confirmation costs no attempt.
                if form.has("newPassword"), form.raw("newPassword") != form.raw("confirmPassword") {
                    throw APIProblem.badRequest("The two new passwords differ; type the same one twice.")
                }
                let progress = try await console.accounts.continueSignIn(
                    pending: pending, totp: form["code"], newPassword: form.has("newPassword") ? form.raw("newPassword") : nil)
                return answer(console, progress, next: next, request: request)
            } catch {
                let problem = APIMiddleware.problem(for: error)
                guard problem.status != 401 || problem.type == "urn:turnover:totp-required" else {
                    return signInForm(console, request: request, next: next, name: "", error: problem.detail, status: .unauthorized)
                }
                let (needsCode, needsNewPassword) = try await pendingNeeds(console, pending: pending)
                return continueForm(
                    console, pending: pending, next: next, needsCode: needsCode, needsNewPassword: needsNewPassword, error: problem.detail,
                    status: .init(code: problem.status))
            }
        }
        console.add(router, .post, "/signout", operation: "signOut") { console, visit in
            try await console.accounts.revoke(visit.principal.credentialId, by: visit.principal)
            var response = Response.redirect(to: "/signin", type: .normal)
            response.setCookie(BrowserSession.cookie(BrowserSession.cookie, value: "", maxAge: 0, secure: console.secure))
            return .response(response)
        }
    }

    /// Only a path of this console: `next` never sends an operator to another site.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), !next.hasPrefix("/signin") else { return "/" }
        return next
    }

    static func answer(_ console: Console, _ progress: OperatorAccounts.SignInProgress, next: String, request: Request) -> Response {
        switch progress {
        case .signedIn(let secret, _, _):
            var response = Response.redirect(to: next, type: .normal)
            response.setCookie(
                BrowserSession.cookie(
                    BrowserSession.cookie, value: secret, maxAge: Int(OperatorAccounts.sessionLifetime), secure: console.secure))
            response.setCookie(BrowserSession.cookie(BrowserSession.pendingCookie, value: "", maxAge: 0, secure: console.secure))
            return response
        case .pending(let secret, let needsCode, let needsNewPassword):
            return continueForm(
                console, pending: secret, next: next, needsCode: needsCode, needsNewPassword: needsNewPassword, error: nil, status: .ok)
        }
    }

    static func signInForm(
        _ console: Console, request: Request, next: String, name: String, error: String?, status: HTTPResponse.Status = .ok
    ) -> Response {
        let token = OperatorAccounts.randomText(32)
        var response = console.html(
            console.templates.render(
                "signin", title: "Sign in", page: SignInView(csrf: token, next: next, name: name, error: error),
                shell: Shell(assetVersion: console.templates.assetVersion)), status: status)
        response.setCookie(BrowserSession.cookie(BrowserSession.signInCSRFCookie, value: token, maxAge: 3600, secure: console.secure))
        return response
    }

    static func continueForm(
        _ console: Console, pending: String, next: String, needsCode: Bool, needsNewPassword: Bool, error: String?,
        status: HTTPResponse.Status
    ) -> Response {
        var response = console.html(
            console.templates.render(
                "signin-continue", title: needsCode ? "Second factor" : "Choose a password",
                page: ContinueView(
                    csrf: BrowserSession.csrfToken(for: pending), next: next, needsCode: needsCode, needsNewPassword: needsNewPassword,
                    error: error),
                shell: Shell(assetVersion: console.templates.assetVersion)), status: status)
        response.setCookie(
            BrowserSession.cookie(
                BrowserSession.pendingCookie, value: pending, maxAge: Int(OperatorAccounts.pendingLifetime), secure: console.secure))
        return response
    }

    static func pendingNeeds(_ console: Console, pending: String) async throws -> (Bool, Bool) {
        guard let credential = try await console.store.credential(secretHash: OperatorAccounts.hash(pending)),
            let record = try await console.store.operatorRecord(named: credential.operator_)
        else { return (true, false) }
        return (OperatorAccounts.needsSecondFactor(record.roles), record.mustChangePassword)
    }
}

extension BrowserSession {
    /// The second sign-in form carries a token derived from the pending sign-in's own secret.
    static func accepts(_ token: String?, pending: String) -> Bool {
        guard let token else { return false }
        return constantTimeEqual(token, csrfToken(for: pending))
    }
}
