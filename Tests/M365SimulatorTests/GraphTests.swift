import Foundation
import M365Simulator
import NIOHTTP1
import Testing

@Suite("Graph over HTTP")
struct GraphTests {
    @Test("a secret token lists users page by page through @odata.nextLink, each user once")
    func paging() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            var path: String? = "/v1.0/users?$top=7&$select=id,userPrincipalName"
            var ids: [String] = []
            var pages = 0
            while let next = path {
                let reply = try await sim.send("GET", next, token: token)
                #expect(reply.status == 200)
                #expect(reply.values.count <= 7)
                ids += reply.values.compactMap { $0["id"] as? String }
                #expect(reply.values.allSatisfy { Set($0.keys).isSubset(of: ["id", "userPrincipalName"]) })
                path = (reply.json["@odata.nextLink"] as? String).map { String($0.dropFirst(sim.baseURL.count)) }
                pages += 1
            }
            #expect(pages > 5)
            #expect(Set(ids).count == ids.count)
            #expect(ids.count == sim.contoso.users)
        }
    }

    @Test("$count needs ConsistencyLevel: eventual, and then counts the filtered set")
    func count() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let without = try await sim.send("GET", "/v1.0/users?$count=true&$filter=userType%20eq%20'Guest'", token: token)
            #expect(without.status == 400)
            let with = try await sim.send(
                "GET", "/v1.0/users?$count=true&$filter=userType%20eq%20'Guest'", token: token, headers: [("ConsistencyLevel", "eventual")])
            #expect(with.status == 200)
            #expect(with.json["@odata.count"] as? Int == with.values.count)
            #expect(with.values.count >= 1)
        }
    }

    @Test("the read-only app reads but gets 403 Authorization_RequestDenied on a write, which changes nothing")
    func readOnlyWrite() async throws {
        try await Harness.run { sim in
            let readOnly = try await sim.token(sim.readOnlyApp)
            let ben = try await sim.userId("ben.carter", token: readOnly)
            #expect(try await sim.send("GET", "/v1.0/users/\(ben)", token: readOnly).status == 200)
            let denied = try await sim.send("PATCH", "/v1.0/users/\(ben)", token: readOnly, json: ["accountEnabled": false])
            #expect(denied.status == 403)
            #expect(denied.errorCode == "Authorization_RequestDenied")
            #expect(denied.headers.first(name: "request-id") != nil)
            #expect(try await sim.state("users", ben)["accountEnabled"] as? Bool == true)
        }
    }

    @Test("a missing user is 404 Request_ResourceNotFound with request ids in innerError")
    func notFound() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let reply = try await sim.send(
                "GET", "/v1.0/users/00000000-0000-0000-0000-000000000000", token: token, headers: [("client-request-id", "abc-123")])
            #expect(reply.status == 404)
            #expect(reply.errorCode == "Request_ResourceNotFound")
            let inner = (reply.json["error"] as? [String: Any])?["innerError"] as? [String: Any]
            #expect(inner?["client-request-id"] as? String == "abc-123")
            #expect(reply.headers.first(name: "client-request-id") == "abc-123")
        }
    }

    @Test("strict mode: an unknown segment, an unknown property and a mistyped property are 400s that change nothing")
    func strictness() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let ben = try await sim.userId("ben.carter", token: token)
            let segment = try await sim.send("GET", "/v1.0/users/\(ben)/notARealThing", token: token)
            #expect(segment.status == 400)
            #expect(segment.errorCode == "BadRequest")
            #expect(segment.text.contains("notARealThing"))
            let unknown = try await sim.send(
                "PATCH", "/v1.0/users/\(ben)", token: token, json: ["accountEnabled": false, "blockSignIn": true])
            #expect(unknown.status == 400)
            let mistyped = try await sim.send("PATCH", "/v1.0/users/\(ben)", token: token, json: ["accountEnabled": "no"])
            #expect(mistyped.status == 400)
            #expect(try await sim.state("users", ben)["accountEnabled"] as? Bool == true)
        }
    }

    @Test("tokens: wrong secret, wrong audience, expired and foreign-tenant tokens are refused")
    func tokenValidation() async throws {
        try await Harness.run { sim in
            let app = sim.fullAccessApp
            let bad = try await sim.send(
                "POST", "/\(sim.contoso.tenantId)/oauth2/v2.0/token",
                form:
                    "grant_type=client_credentials&client_id=\(app.clientId)&client_secret=nope&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
            )
            #expect(bad.status == 401)
            #expect((bad.json["error_description"] as? String)?.hasPrefix("AADSTS7000215") == true)

            let exchangeToken = try await sim.token(resource: .exchange)
            #expect(try await sim.send("GET", "/v1.0/users", token: exchangeToken).status == 401)

            let fabrikam = sim.simulator.tenantSummaries().first { $0.name == "Fabrikam" }!
            let foreign = try await sim.token(fabrikam.apps[0], tenant: fabrikam)
            let contosoBen = try await sim.userId("ben.carter", token: foreign)
            #expect(try await sim.send("GET", "/v1.0/users/\(contosoBen)", token: foreign).status == 404)

            let token = try await sim.token()
            #expect(try await sim.send("POST", "/_sim/tokens/expire").status == 204)
            let expired = try await sim.send("GET", "/v1.0/users?$top=1", token: token)
            #expect(expired.status == 401)
            #expect(expired.errorCode == "InvalidAuthenticationToken")
        }
    }

    @Test("$batch: 20 at most, dependsOn, 424 after a failed dependency, each item in its own right")
    func batch() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let ben = try await sim.userId("ben.carter", token: token)
            let tooMany = (1...21).map { ["id": "\($0)", "method": "GET", "url": "/users/\(ben)"] }
            #expect(try await sim.send("POST", "/v1.0/$batch", token: token, json: ["requests": tooMany]).status == 400)
            let requests: [[String: Any]] = [
                ["id": "1", "method": "GET", "url": "/users/00000000-0000-0000-0000-000000000000"],
                [
                    "id": "2", "method": "PATCH", "url": "/users/\(ben)", "dependsOn": ["1"],
                    "headers": ["Content-Type": "application/json"], "body": ["accountEnabled": false],
                ],
                ["id": "3", "method": "GET", "url": "/users/\(ben)?$select=id,accountEnabled"],
            ]
            let reply = try await sim.send("POST", "/v1.0/$batch", token: token, json: ["requests": requests])
            #expect(reply.status == 200)
            let byId = Dictionary(
                uniqueKeysWithValues: (reply.json["responses"] as? [[String: Any]] ?? []).map { ($0["id"] as! String, $0) })
            #expect(byId["1"]?["status"] as? Int == 404)
            #expect(byId["2"]?["status"] as? Int == 424)
            #expect(byId["3"]?["status"] as? Int == 200)
            #expect(try await sim.state("users", ben)["accountEnabled"] as? Bool == true)
        }
    }

    @Test("a burst beyond the throttling budget gets 429 with Retry-After, inside and outside $batch")
    func throttling() async throws {
        // A budget smaller than one full batch: the batch below meets throttling even when the burst
        // was slow enough (a loaded machine) for the 10-second window to refill before it.
        try await Harness.run(configure: { $0.throttling.graphResourceUnitsPer10Seconds = 15 }) { sim in
            let token = try await sim.token()
            let ben = try await sim.userId("ben.carter", token: token)
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<80 {
                    group.addTask {
                        let reply = try await sim.send("GET", "/v1.0/users/\(ben)?$select=id", token: token)
                        return (reply.status, reply.headers.first(name: "Retry-After"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let throttled = statuses.filter { $0.0 == 429 }
            #expect(!throttled.isEmpty)
            #expect(statuses.contains { $0.0 == 200 })
            #expect(throttled.allSatisfy { Int($0.1 ?? "") ?? 0 >= 1 })

            let requests = (1...20).map { ["id": "\($0)", "method": "GET", "url": "/users/\(ben)?$select=id"] }
            let batch = try await sim.send("POST", "/v1.0/$batch", token: token, json: ["requests": requests])
            let items = batch.json["responses"] as? [[String: Any]] ?? []
            let inner429 = items.filter { $0["status"] as? Int == 429 }
            #expect(!inner429.isEmpty)
            #expect(inner429.allSatisfy { (($0["headers"] as? [String: Any])?["Retry-After"] as? String) != nil })
        }
    }

    @Test("the control API turns latency and transient faults on and off at run time")
    func controlFaultsAndLatency() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let path = "/v1.0/users?$top=1&$select=id"
            #expect(try await sim.send("PATCH", "/_sim/settings", json: ["latencyMilliseconds": 150]).status == 200)
            let started = ContinuousClock.now
            #expect(try await sim.send("GET", path, token: token).status == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(150))

            _ = try await sim.send("PATCH", "/_sim/settings", json: ["latencyMilliseconds": 0, "transientFaultRate": 1.0])
            let faulted = try await sim.send("GET", path, token: token)
            #expect([503, 504].contains(faulted.status))
            let log = try await sim.send("GET", "/_sim/requests").body
            let entries = try JSONSerialization.jsonObject(with: log) as? [[String: Any]] ?? []
            #expect(entries.last?["injected"] as? String != nil)

            _ = try await sim.send("PATCH", "/_sim/settings", json: ["transientFaultRate": 0])
            #expect(try await sim.send("GET", path, token: token).status == 200)
        }
    }

    @Test("$expand: owned groups carry their owners, role assignments their principal; an unknown navigation is a 400")
    func expansions() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let owned = try await sim.send(
                "GET",
                "/v1.0/users/kate.lopez@contoso.com/ownedObjects/microsoft.graph.group?$select=id,displayName&$expand=owners($select=id)",
                token: token)
            #expect(owned.status == 200)
            let amy = try await sim.userId("amy.ross", token: token)
            let kate = try await sim.userId("kate.lopez", token: token)
            let allCompany = try #require(owned.values.first { ($0["displayName"] as? String) == "All Company" })
            let owners = (allCompany["owners"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(Set(owners) == [amy, kate])
            #expect((allCompany["owners"] as? [[String: Any]])?.first?.keys.sorted() == ["@odata.type", "id"])

            let admins = try await sim.send(
                "GET",
                "/v1.0/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'&$expand=principal($select=id,accountEnabled)",
                token: token)
            #expect(admins.status == 200)
            let principals = admins.values.compactMap { $0["principal"] as? [String: Any] }
            #expect(principals.count == admins.values.count && principals.contains { $0["id"] as? String == amy })
            #expect(principals.allSatisfy { $0["accountEnabled"] is Bool })

            let unknown = try await sim.send("GET", "/v1.0/users/kate.lopez@contoso.com/ownedObjects?$expand=bogus", token: token)
            #expect(unknown.status == 400)
        }
    }
}
