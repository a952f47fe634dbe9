import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import Testing

/// Every operation of the served OpenAPI document, called by every role: allowed or refused as the
/// table below says. The table is this test's own, written from the roles' definitions (not read
/// from the server's rules), and an operation the table does not know fails the test: a new route
/// needs a decision here before it can pass.
@Suite("Access matrix: every operation × every role")
struct AccessMatrixTests {
    static let everyone: Set<String> = ["admin", "technician", "approver", "auditor"]

    /// operationId → the roles that may call it.
    static let expected: [String: Set<String>] = [
        "signIn": everyone,
        "signOut": everyone,
        "whoAmI": everyone,
        "changePassword": everyone,
        "listTenants": everyone,
        "getTenant": everyone,
        "addTenant": ["admin"],
        "setTenantPolicy": ["admin"],
        "testTenantPermissions": ["admin", "technician"],
        "readTicket": ["admin", "technician"],
        "importPSATicket": ["admin", "technician"],
        "listPSAImports": everyone,
        "listPSAConnections": everyone,
        "savePSAConnection": ["admin"],
        "removePSAConnection": ["admin"],
        "searchUsers": everyone,
        "getUser": everyone,
        "createPlan": ["admin", "technician"],
        "listOffboardings": everyone,
        "getOffboarding": everyone,
        "getOffboardingReport": everyone,
        "getOffboardingEvidence": everyone,
        "listOffboardingNotifications": everyone,
        "streamOffboardingEvents": everyone,
        "submitOffboarding": ["admin", "technician"],
        "submitUndo": ["admin", "technician"],
        "approveOffboarding": ["admin", "approver"],
        "rejectOffboarding": ["admin", "approver"],
        "cancelOffboarding": ["admin", "technician", "approver"],
        "holdOffboarding": ["admin", "technician", "approver"],
        "releaseOffboarding": ["admin", "technician", "approver"],
        "listOperators": ["admin"],
        "addOperator": ["admin"],
        "disableOperator": ["admin"],
        "listTokens": everyone,
        "createToken": everyone,
        "revokeToken": everyone,
        "listAuditEntries": ["admin", "auditor"],
        "verifyAuditChain": ["admin", "auditor"],
    ]

    /// Path parameters that exist where that matters (a tenant) and do not where a call would change
    /// something (an offboarding, an operator, a token): an allowed call then answers 404 or 400,
    /// never a change.
    static func fill(_ path: String) -> String {
        path.replacingOccurrences(of: "{tenant}", with: "contoso").replacingOccurrences(of: "{upn}", with: "ben.carter@contoso.com")
            .replacingOccurrences(of: "{id}", with: "o-matrix-none").replacingOccurrences(of: "{name}", with: "nobody-at-all")
            .replacingOccurrences(of: "{ticket}", with: "1")
    }

    @Test("each operation is allowed to exactly the roles it should be, and refused with 403 to the others")
    func matrix() async throws {
        try await withServe { serve, api, team in
            let document = try await api.http.execute(.init(url: serve.baseURL + "/api/v1/openapi.json"), timeout: .seconds(30))
            let data = try await document.body.collect(upTo: 4 << 20)
            let root = try JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any]
            let paths = try #require(root?["paths"] as? [String: [String: Any]])
            var seen: Set<String> = []
            let tokens = ["admin": team.admin, "technician": team.technician, "approver": team.approver, "auditor": team.auditor]
            for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
                for (method, value) in item where method != "parameters" {
                    let operation = value as? [String: Any] ?? [:]
                    let id = try #require(operation["operationId"] as? String)
                    seen.insert(id)
                    guard let allowed = Self.expected[id] else {
                        Issue.record("operation \(id) (\(method.uppercased()) \(path)) has no expectation in the access matrix")
                        continue
                    }
                    let hasBody = operation["requestBody"] != nil
                    for (role, sessionToken) in tokens.sorted(by: { $0.key < $1.key }) {
                        var token = sessionToken
                        if id == "signOut" {
                            // Signing out ends the credential presented: use one made for this call.
                            let made = try await api.call("POST", "/tokens", token: sessionToken, json: ["name": "matrix"])
                            token = try #require(made.object["secret"] as? String)
                        }
                        let reply = try await api.call(
                            method.uppercased(), Self.fill(path), token: id == "signIn" ? nil : token, json: hasBody ? [:] : nil)
                        let refusedForRole = reply.status == 403 && reply.text.contains("needs the role")
                        if allowed.contains(role) {
                            #expect(
                                !refusedForRole && reply.status != 401, "\(role) should be allowed \(id): \(reply.status) \(reply.text)")
                            #expect(reply.status < 500, "\(id) as \(role) failed: \(reply.status) \(reply.text)")
                        } else {
                            #expect(refusedForRole, "\(role) should be refused \(id): \(reply.status) \(reply.text)")
                            #expect(reply.headers["content-type"] == "application/problem+json")
                        }
                    }
                }
            }
            #expect(
                seen == Set(Self.expected.keys), "operations in the matrix but not served: \(Set(Self.expected.keys).subtracting(seen))")
        }
    }
}
