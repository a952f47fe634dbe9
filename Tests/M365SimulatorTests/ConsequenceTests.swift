import Foundation
import Testing

@testable import M365Simulator

@Suite("Microsoft's consequences")
struct ConsequenceTests {
    @Test("removing the last Exchange licence from a user mailbox flags its data at risk")
    func licenceBeforeConversion() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let ben = try await sim.userId("ben.carter", token: token)
            let skus = try await sim.send("GET", "/v1.0/subscribedSkus", token: token).values
            let e3 = skus.first { $0["skuPartNumber"] as? String == "SPE_E3" }!["skuId"] as! String
            let reply = try await sim.send(
                "POST", "/v1.0/users/\(ben)/assignLicense", token: token, json: ["addLicenses": [], "removeLicenses": [e3]])
            #expect(reply.status == 200)
            #expect(try await sim.state("mailboxes", ben)["dataAtRisk"] != nil)
        }
    }

    @Test("a conversion to shared is reported only after the configured delay; then the licence can go safely")
    func conversionDelay() async throws {
        let clock = ManualClock()
        try await Harness.run(configure: { $0.mailboxConversionDelayMilliseconds = 400 }, clock: clock.now) { sim in
            let exchange = try await sim.token(resource: .exchange)
            let set = try await sim.exchange("Set-Mailbox", ["Identity": "ben.carter@contoso.com", "Type": "Shared"], token: exchange)
            #expect(set.status == 200)
            let right = try await sim.exchange("Get-Mailbox", ["Identity": "ben.carter@contoso.com"], token: exchange)
            #expect(right.values.first?["RecipientTypeDetails"] as? String == "UserMailbox")
            clock.advance(milliseconds: 500)
            let later = try await sim.exchange("Get-Mailbox", ["Identity": "ben.carter@contoso.com"], token: exchange)
            #expect(later.values.first?["RecipientTypeDetails"] as? String == "SharedMailbox")

            let token = try await sim.token()
            let ben = try await sim.userId("ben.carter", token: token)
            let e3 =
                try await sim.send("GET", "/v1.0/subscribedSkus", token: token).values
                .first { $0["skuPartNumber"] as? String == "SPE_E3" }!["skuId"] as! String
            _ = try await sim.send(
                "POST", "/v1.0/users/\(ben)/assignLicense", token: token, json: ["addLicenses": [], "removeLicenses": [e3]])
            #expect(try await sim.state("mailboxes", ben)["dataAtRisk"] == nil)
        }
    }

    @Test("DELETE /groups/{id}/members/{uid} without $ref deletes the user")
    func deleteWithoutRef() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let daniel = try await sim.userId("daniel.evans", token: token)
            let group =
                try await sim.send("GET", "/v1.0/groups?$filter=displayName%20eq%20'Finance%20Approvers'", token: token).values[0]["id"]
                as! String
            let reply = try await sim.send("DELETE", "/v1.0/groups/\(group)/members/\(daniel)", token: token)
            #expect(reply.status == 204)
            #expect(try await sim.send("GET", "/v1.0/users/\(daniel)", token: token).status == 404)
            #expect(try await sim.send("GET", "/v1.0/directory/deletedItems/\(daniel)", token: token).status == 200)
        }
    }

    @Test("the last owner cannot be removed; dynamic members cannot be removed; mail-enabled groups are read-only in Graph")
    func groupRules() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            func group(_ name: String) async throws -> String {
                let encoded = name.replacingOccurrences(of: " ", with: "%20")
                return try await sim.send("GET", "/v1.0/groups?$filter=displayName%20eq%20'\(encoded)'", token: token).values[0]["id"]
                    as! String
            }
            let isla = try await sim.userId("isla.jones", token: token)
            let falcon = try await group("Project Falcon")
            let owner = try await sim.send("DELETE", "/v1.0/groups/\(falcon)/owners/\(isla)/$ref", token: token)
            #expect(owner.status == 400)

            let xena = try await sim.userId("xena.zhou", token: token)
            let dynamic =
                try await sim.send("GET", "/v1.0/users/\(xena)/memberOf", token: token).values
                .first { ($0["groupTypes"] as? [String])?.contains("DynamicMembership") == true }!["id"] as! String
            let dynamicRemoval = try await sim.send("DELETE", "/v1.0/groups/\(dynamic)/members/\(xena)/$ref", token: token)
            #expect(dynamicRemoval.status == 400)

            let yusuf = try await sim.userId("yusuf.adams", token: token)
            let distribution =
                try await sim.send("GET", "/v1.0/users/\(yusuf)/memberOf", token: token).values
                .first { $0["mailEnabled"] as? Bool == true && ($0["groupTypes"] as? [String])?.isEmpty == true }!["id"] as! String
            let mailEnabled = try await sim.send("DELETE", "/v1.0/groups/\(distribution)/members/\(yusuf)/$ref", token: token)
            #expect(mailEnabled.status == 400)
            #expect(mailEnabled.text.contains("mail-enabled") || mailEnabled.text.contains("Exchange"))
        }
    }

    @Test("a cloud sign-in block on a synced user is reverted at the next directory sync")
    func syncedRevert() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let felix = try await sim.userId("felix.garcia", token: token)
            let patch = try await sim.send("PATCH", "/v1.0/users/\(felix)", token: token, json: ["accountEnabled": false])
            #expect(patch.status == 204)
            #expect(try await sim.state("users", felix)["accountEnabled"] as? Bool == false)
            #expect(try await sim.send("POST", "/_sim/tenants/Contoso/sync").status < 300)
            #expect(try await sim.state("users", felix)["accountEnabled"] as? Bool == true)
        }
    }
}

@Suite("Exchange and SharePoint")
struct ExchangeSharePointTests {
    @Test("Exchange needs its own audience and role; unknown identities get Exchange's error shape")
    func exchangeErrors() async throws {
        try await Harness.run { sim in
            let graphToken = try await sim.token()
            #expect(try await sim.exchange("Get-Mailbox", [:], token: graphToken).status == 401)
            let token = try await sim.token(resource: .exchange)
            let missing = try await sim.exchange("Get-Mailbox", ["Identity": "nobody@contoso.com"], token: token)
            #expect(missing.status == 404 || missing.status == 400)
            let error = missing.json["error"] as? [String: Any]
            let inner = (error?["details"] as? [[String: Any]])?.first ?? error?["innererror"] as? [String: Any] ?? [:]
            #expect(missing.text.contains("nobody@contoso.com"))
            #expect(!inner.isEmpty)
        }
    }

    @Test("mailbox permissions, forwarding, GAL hiding and auto-reply round-trip through Get- cmdlets")
    func exchangeRoundTrip() async throws {
        try await Harness.run { sim in
            let token = try await sim.token(resource: .exchange)
            let identity = "ben.carter@contoso.com"
            #expect(
                try await sim.exchange(
                    "Add-MailboxPermission",
                    ["Identity": identity, "User": "kate.lopez@contoso.com", "AccessRights": ["FullAccess"], "AutoMapping": false],
                    token: token
                ).status == 200)
            let permissions = try await sim.exchange("Get-MailboxPermission", ["Identity": identity], token: token).values
            #expect(permissions.contains { ($0["User"] as? String)?.contains("kate.lopez") == true })

            #expect(
                try await sim.exchange(
                    "Set-Mailbox",
                    [
                        "Identity": identity, "ForwardingSmtpAddress": "smtp:kate.lopez@contoso.com", "DeliverToMailboxAndForward": true,
                        "HiddenFromAddressListsEnabled": true,
                    ], token: token
                ).status == 200)
            let mailbox = try await sim.exchange("Get-Mailbox", ["Identity": identity], token: token).values.first ?? [:]
            #expect(mailbox["DeliverToMailboxAndForward"] as? Bool == true)
            #expect(mailbox["HiddenFromAddressListsEnabled"] as? Bool == true)

            #expect(
                try await sim.exchange(
                    "Set-MailboxAutoReplyConfiguration",
                    ["Identity": identity, "AutoReplyState": "Enabled", "InternalMessage": "Gone", "ExternalMessage": "Gone"],
                    token: token
                ).status == 200)
            let autoReply = try await sim.exchange("Get-MailboxAutoReplyConfiguration", ["Identity": identity], token: token).values.first
            #expect(autoReply?["AutoReplyState"] as? String == "Enabled")

            let bad = try await sim.exchange("Set-Mailbox", ["Identity": identity, "NotAParameter": 1], token: token)
            #expect(bad.status == 400)
        }
    }

    @Test("$batch of Exchange commands is limited to 10")
    func exchangeBatch() async throws {
        try await Harness.run { sim in
            let token = try await sim.token(resource: .exchange)
            func item(_ id: Int) -> [String: Any] {
                [
                    "id": "\(id)", "method": "POST", "url": "/adminapi/beta/\(sim.contoso.tenantId)/InvokeCommand",
                    "headers": ["Content-Type": "application/json"],
                    "body": ["CmdletInput": ["CmdletName": "Get-Mailbox", "Parameters": ["Identity": "ben.carter@contoso.com"]]],
                ]
            }
            let path = "/adminapi/beta/\(sim.contoso.tenantId)/$batch"
            let ok = try await sim.send("POST", path, token: token, json: ["requests": (1...10).map(item)])
            #expect(ok.status == 200)
            #expect((ok.json["responses"] as? [[String: Any]])?.allSatisfy { $0["status"] as? Int == 200 } == true)
            #expect(try await sim.send("POST", path, token: token, json: ["requests": (1...11).map(item)]).status == 400)
        }
    }

    @Test("SharePoint accepts certificate app tokens only")
    func sharePointCertificateOnly() async throws {
        try await Harness.run { sim in
            let secretToken =
                try await sim.send(
                    "POST", "/\(sim.contoso.tenantId)/oauth2/v2.0/token",
                    form:
                        "grant_type=client_credentials&client_id=\(sim.fullAccessApp.clientId)&client_secret=\(sim.fullAccessApp.clientSecret)"
                        + "&scope=https%3A%2F%2Fcontoso-my.sharepoint.com%2F.default"
                ).json["access_token"] as? String
            let reply = try await sim.send(
                "POST", "/personal/ben_carter_contoso_com/_api/web/ensureuser", token: secretToken,
                json: ["logonName": "i:0#.f|membership|kate.lopez@contoso.com"], headers: [("Accept", "application/json;odata=nometadata")])
            #expect(reply.status == 401)
            #expect(reply.text.contains("Unsupported app only token"))
        }
    }
}

@Suite("Fixtures")
struct FixtureTests {
    @Test("every Contoso user says which edge case it is for, and there are at least 40")
    func demoNotes() throws {
        let fixture = try DemoTenants.fixtures().first { $0.name == "Contoso" }!
        #expect(fixture.users.count >= 40)
        #expect(fixture.users.allSatisfy { !($0.note ?? "").isEmpty })
    }

    @Test("a fixture error names the place and the problem")
    func fixtureErrors() throws {
        let yaml = "name: Broken\nusers:\n  - key: a\n    name: A\n    manager: nobody\n"
        let simulator = try Simulator()
        #expect(throws: (any Error).self) { try simulator.load(TenantFixture.decode(yaml: yaml)) }
        do {
            _ = try simulator.load(TenantFixture.decode(yaml: yaml))
        } catch {
            #expect("\(error)".contains("nobody"))
        }
    }

    @Test("the embedded Graph subset is the repository's spec copy, and that copy keeps every operation of ../shared's")
    func embeddedSubsetInSync() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        func operations(_ document: Any?) -> Set<String> {
            let paths = (document as? [String: Any])?["paths"] as? [String: Any] ?? [:]
            return Set(
                paths.flatMap { path, item in
                    ((item as? [String: Any]) ?? [:]).keys.filter { $0 != "parameters" }.map { "\($0) \(path)" }
                })
        }
        func load(_ relative: String) throws -> Any? {
            try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(relative)))
        }
        let spec = operations(try load("spec/graph-openapi-subset.json"))
        let embedded = operations(try JSONSerialization.jsonObject(with: Data(GraphSubset.embeddedJSON.utf8)))
        #expect(spec.count > 50)
        #expect(embedded == spec, "run scripts/embed-graph-subset.py after changing spec/graph-openapi-subset.json")
        let shared = root.appendingPathComponent("../shared/graph-openapi-subset.json")
        if FileManager.default.fileExists(atPath: shared.path) {
            let missing = operations(try load("../shared/graph-openapi-subset.json")).subtracting(spec)
            #expect(missing.isEmpty, "spec/graph-openapi-subset.json lost \(missing.sorted())")
        }
    }

    @Test("generated tenants load at scale with distinct ids")
    func generator() throws {
        let simulator = try Simulator()
        let summaries = try simulator.generateTenants(count: 3, usersPerTenant: 200)
        #expect(summaries.count == 3)
        #expect(Set(summaries.map(\.tenantId)).count == 3)
        #expect(summaries.allSatisfy { $0.users >= 200 })
    }
}
