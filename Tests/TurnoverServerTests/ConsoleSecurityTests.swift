import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing

/// The web console's access rules, CSRF tokens and sign-in, over real HTTP against `turnover serve`.
/// (Tests/console drives the same pages in Chromium; this suite reads status codes and headers.)
@Suite("The web console refuses what the API refuses, and every form needs its CSRF token", .serialized)
struct ConsoleSecurityTests {
    /// A browser-like client that does not follow redirects, so a 303 can be read.
    struct Browser {
        let base: String
        let http: HTTPClient

        func request(
            _ method: HTTPMethod, _ path: String, session: String? = nil, cookies: [String: String] = [:], form: [String: String]? = nil
        ) async throws -> APIClient.Reply {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            var jar = cookies
            if let session { jar["turnover_session"] = session }
            if !jar.isEmpty { request.headers.add(name: "Cookie", value: jar.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
            if let form {
                var allowed = CharacterSet.alphanumerics
                allowed.insert(charactersIn: "-._~")
                let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(
                    separator: "&")
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await http.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 16 << 20)
            var headers: [String: String] = [:]
            for header in response.headers {
                let name = header.name.lowercased()
                headers[name] = headers[name].map { $0 + "\n" + header.value } ?? header.value
            }
            return APIClient.Reply(status: Int(response.status.code), headers: headers, body: Data(buffer: body))
        }

        /// The value of a hidden field on a page.
        static func hidden(_ name: String, in html: String) -> String? {
            guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
            return String(html[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    static func withBrowser(_ body: @Sendable (ServeProcess, APIClient, Team, Browser) async throws -> Void) async throws {
        let plain = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
        do {
            try await withServe { serve, api, team in try await body(serve, api, team, Browser(base: serve.baseURL, http: plain)) }
            try await plain.shutdown()
        } catch {
            try? await plain.shutdown()
            throw error
        }
    }

    @Test("each role opens exactly the pages its API operations allow; a tenant out of scope is not found")
    func pagesFollowTheAccessRules() async throws {
        try await Self.withBrowser { _, _, team, browser in
            let expectations: [(String, String, Int)] = [
                (team.technician, "/offboard", 200), (team.technician, "/offboard/contoso", 200), (team.technician, "/tokens", 200),
                (team.technician, "/operators", 403), (team.technician, "/audit", 403), (team.technician, "/approvals", 403),
                (team.technician, "/tenants/contoso/policy", 403), (team.technician, "/tenants/new", 403),
                (team.approver, "/approvals", 200), (team.approver, "/offboard", 403), (team.approver, "/operators", 403),
                (team.auditor, "/audit", 200), (team.auditor, "/offboardings", 200), (team.auditor, "/offboard", 403),
                (team.auditor, "/tenants/contoso/permissions", 403), (team.admin, "/operators", 200), (team.admin, "/audit", 200),
                (team.admin, "/tenants/contoso/policy", 200), (team.contosoTechnician, "/tenants/contoso", 200),
                (team.contosoTechnician, "/tenants/fabrikam", 404), (team.contosoTechnician, "/offboard/fabrikam", 404),
            ]
            for (session, path, status) in expectations {
                let reply = try await browser.request(.GET, path, session: session)
                #expect(reply.status == status, "\(path): \(reply.status)")
            }
            // Signed out, a page sends the browser to sign in and back.
            let anonymous = try await browser.request(.GET, "/offboardings?status=failed")
            #expect(anonymous.status == 303)
            #expect(anonymous.headers["location"] == "/signin?next=/offboardings%3Fstatus%3Dfailed")
            // An API token is for scripts: a cookie holding one opens no page.
            let created = try await APIClient(baseURL: browser.base, http: browser.http).call(
                "POST", "/tokens", token: team.admin, json: ["name": "script"])
            let token = try #require(created.object["secret"] as? String)
            #expect(try await browser.request(.GET, "/", session: token).status == 303)
        }
    }

    @Test("a form without the session's CSRF token, or with a wrong one, is refused and changes nothing")
    func formsNeedTheirToken() async throws {
        try await Self.withBrowser { _, api, team, browser in
            let submitted = try await api.call(
                "POST", "/offboardings", token: team.technician, json: ["tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com"])
            let id = try #require(submitted.object["id"] as? String)
            for form in [["reason": "forged"], ["reason": "forged", "csrf": String(repeating: "0", count: 64)]] {
                let refused = try await browser.request(.POST, "/offboardings/\(id)/cancel", session: team.technician, form: form)
                #expect(refused.status == 403)
                #expect(refused.text.contains("security token"))
            }
            // A token is bound to its session: another operator's is refused too.
            let approverPage = try await browser.request(.GET, "/offboardings/\(id)", session: team.approver)
            let approverToken = try #require(Browser.hidden("csrf", in: approverPage.text))
            let crossed = try await browser.request(
                .POST, "/offboardings/\(id)/cancel", session: team.technician, form: ["reason": "forged", "csrf": approverToken])
            #expect(crossed.status == 403)
            #expect(try await api.call("GET", "/offboardings/\(id)", token: team.admin).object["status"] as? String == "awaiting-approval")
            // GET changes nothing, whatever it names.
            #expect(try await browser.request(.GET, "/offboardings/\(id)/cancel", session: team.technician).status != 200)

            let page = try await browser.request(.GET, "/offboardings/\(id)", session: team.technician)
            let token = try #require(Browser.hidden("csrf", in: page.text))
            let cancelled = try await browser.request(
                .POST, "/offboardings/\(id)/cancel", session: team.technician, form: ["reason": "wrong person", "csrf": token])
            #expect(cancelled.status == 303, "\(cancelled.text)")
            let after = try await api.call("GET", "/offboardings/\(id)", token: team.admin).object
            #expect(after["status"] as? String == "cancelled")
            #expect((after["cancellation"] as? [String: Any])?["operator"] as? String == "tess")
        }
    }

    @Test("signing in needs the form's own token, sets an HttpOnly SameSite=Strict cookie, and never redirects off-site")
    func signIn() async throws {
        try await Self.withBrowser { _, _, _, browser in
            let form = try await browser.request(.GET, "/signin")
            let token = try #require(Browser.hidden("csrf", in: form.text))
            #expect(form.headers["set-cookie"]?.contains("turnover_csrf=\(token)") == true)
            let policy = form.headers["content-security-policy"] ?? ""
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "\(policy)")
            #expect(form.headers["x-frame-options"] == "DENY")
            #expect(form.headers["referrer-policy"] == "no-referrer")

            let credentials = ["name": "tess", "password": "tess-password-of-my-own", "csrf": token]
            let withoutCookie = try await browser.request(.POST, "/signin", form: credentials)
            #expect(withoutCookie.status == 403)
            #expect(withoutCookie.headers["set-cookie"]?.contains("turnover_session=tos_") != true)

            for (next, expected) in [("https://evil.example/", "/"), ("//evil.example", "/"), ("/offboardings", "/offboardings")] {
                var fields = credentials
                fields["next"] = next
                let signedIn = try await browser.request(.POST, "/signin", cookies: ["turnover_csrf": token], form: fields)
                #expect(signedIn.status == 303)
                #expect(signedIn.headers["location"] == expected, "next=\(next)")
                let cookie = try #require(
                    signedIn.headers["set-cookie"]?.split(separator: "\n").first { $0.hasPrefix("turnover_session=tos_") })
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
            }
            let wrong = try await browser.request(
                .POST, "/signin", cookies: ["turnover_csrf": token], form: ["name": "tess", "password": "not-it", "csrf": token])
            #expect(wrong.status == 401)
            #expect(wrong.text.contains("The name or password is wrong."))
            #expect(wrong.text.contains("value=\"tess\""), "the typed name stays")
        }
    }
}
