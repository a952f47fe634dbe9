import Foundation
import M365Simulator
import MicrosoftGraph
import Testing

@Suite("MicrosoftGraph client against the simulator")
struct ClientTests {
    @Test("concurrent callers share one token request; an expired token is refreshed once on 401")
    func tokenCache() async throws {
        try await Lab.run { lab in
            let client = lab.client()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 { group.addTask { _ = try await client.subscribedSkus() } }
                try await group.waitForAll()
            }
            #expect(await client.tokenRequestCount() == 1)
            _ = try await lab.control("POST", "/_sim/tokens/expire")
            let skus = try await client.subscribedSkus()
            #expect(!skus.isEmpty)
            #expect(await client.tokenRequestCount() == 2)
        }
    }

    @Test("a certificate credential (PS256 client assertion) works for Graph and for SharePoint; a secret does not for SharePoint")
    func certificate() async throws {
        try await Lab.run { lab in
            let byCertificate = lab.client(certificate: true)
            let ben = try await byCertificate.user("ben.carter@contoso.com")
            #expect(ben.displayName == "Ben Carter")
            let drive = try #require(try await byCertificate.drive(ben.id))
            let siteURL = try #require(drive.webUrl).components(separatedBy: "/Documents").first!
            try await byCertificate.makeSiteAdmin(siteURL: siteURL, userPrincipalName: "kate.lopez@contoso.com")

            do {
                try await lab.client().makeSiteAdmin(siteURL: siteURL, userPrincipalName: "kate.lopez@contoso.com")
                Issue.record("SharePoint accepted a secret-based token")
            } catch let error as MicrosoftAPIError {
                #expect(error.status == 401)
                #expect(error.message.contains("Unsupported app only token"))
            }
        }
    }

    @Test("Graph and Exchange errors decode into typed errors with the real message and request ids")
    func errors() async throws {
        try await Lab.run { lab in
            let client = lab.client()
            do {
                _ = try await client.user("00000000-0000-0000-0000-000000000000")
                Issue.record("no error")
            } catch let error as MicrosoftAPIError {
                #expect(error.status == 404)
                #expect(error.code == "Request_ResourceNotFound")
                #expect(error.requestId != nil)
                #expect(error.date != nil)
                #expect(error.description.contains("request-id"))
            }
            do {
                _ = try await client.exchange(
                    ExchangeCommand("Set-Mailbox", ["Identity": "nobody@contoso.com", "HiddenFromAddressListsEnabled": true]))
                Issue.record("no error")
            } catch let error as MicrosoftAPIError {
                #expect(error.service == .exchange)
                #expect(error.message != "Invalid Operation")
                #expect(error.message.contains("nobody@contoso.com"))
            }
            let readOnly = lab.client(readOnly: true)
            do {
                try await readOnly.setAccountEnabled("ben.carter@contoso.com", false)
                Issue.record("no error")
            } catch let error as MicrosoftAPIError {
                #expect(error.status == 403)
                #expect(error.code == "Authorization_RequestDenied")
            }
        }
    }

    @Test("UPNs with #EXT#, an apostrophe and a leading $ are addressed correctly")
    func encoding() async throws {
        try await Lab.run { lab in
            let client = lab.client()
            let users = try await client.graphAll("/users?$select=id,userPrincipalName&$top=10", as: GraphUser.self)
            let awkward = users.compactMap(\.userPrincipalName).filter { $0.contains("#EXT#") || $0.contains("'") || $0.hasPrefix("$") }
            #expect(awkward.count >= 3)
            for upn in awkward {
                let fetched = try await client.user(upn)
                #expect(fetched.userPrincipalName == upn)
            }
            let apostrophe = try #require(awkward.first { $0.contains("'") })
            let filtered = try await client.graphAll(
                "/users" + GraphPath.query([("$filter", "userPrincipalName eq \(GraphPath.filterLiteral(apostrophe))")]), as: GraphUser.self
            )
            #expect(filtered.map(\.userPrincipalName) == [apostrophe])
        }
    }

    @Test("paging follows @odata.nextLink to the end as an AsyncSequence")
    func paging() async throws {
        try await Lab.run { lab in
            let client = lab.client()
            var ids: [String] = []
            for try await user in client.graphItems("/users?$top=5&$select=id") { ids.append(user["id"]?.string ?? "") }
            #expect(ids.count == lab.tenant("Contoso").users)
            #expect(Set(ids).count == ids.count)
        }
    }

    @Test("independent concurrent requests are packed into $batches of at most 20, results in each caller's hands")
    func autoBatching() async throws {
        try await Lab.run { lab in
            let telemetry = ClientTelemetry()
            let client = lab.client(telemetry: telemetry)
            let users = try await client.graphAll("/users?$select=id,userPrincipalName", as: GraphUser.self)
            let before = telemetry.total()
            let fetched = try await withThrowingTaskGroup(of: (String, GraphUser).self) { group in
                for user in users { group.addTask { (user.id, try await client.user(user.id, select: ["id", "userPrincipalName"])) } }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(fetched.count == users.count)
            #expect(fetched.allSatisfy { $0.key == $0.value.id })
            let after = telemetry.total()
            let requests = after.httpRequests - before.httpRequests
            #expect(requests <= users.count / 20 + 3)
            #expect(after.batches - before.batches >= users.count / 20)
            let log = try await lab.requestLog()
            #expect(log.allSatisfy { ($0["operation"] as? String) != "POST /$batch" || (($0["status"] as? Int) == 200) })
        }
    }

    @Test("a 429 burst is absorbed: Retry-After honoured, nothing surfaced, the retries counted")
    func throttlingAbsorbed() async throws {
        try await Lab.run(configure: {
            $0.throttleFaultRate = 0.3; $0.injectedRetryAfterSeconds = 0; $0.randomSeed = 2026
        }) { lab in
            let telemetry = ClientTelemetry()
            var options = ClientOptions()
            options.autoBatching = false
            let client = lab.client(options: options, telemetry: telemetry)
            do {
                for _ in 0..<10 { _ = try await client.subscribedSkus() }
            } catch {
                let log = try await lab.requestLog().map { "\($0["status"] ?? "") \($0["injected"] ?? "") \($0["path"] ?? "")" }
                Issue.record("\(error): \(log.suffix(12))")
            }
            #expect(telemetry.total().throttled > 0)
            #expect(telemetry.total().retries == telemetry.total().throttled)
        }
    }
}

@Suite("Exchange errors, classified")
struct ExchangeErrorClassificationTests {
    @Test("an unknown mailbox is NotFound from the execution-error envelope; a non-member removal is already absent")
    func classification() async throws {
        try await Lab.run { lab in
            let client = lab.client()
            #expect(try await client.mailbox("nobody@contoso.com") == nil)
            do {
                try await client.removeDistributionGroupMember(group: "Sales Announcements", member: "grace.hall@contoso.com")
                Issue.record("removing a non-member should be refused")
            } catch let error as MicrosoftAPIError {
                #expect(error.classification == .alreadyAbsent, "\(error)")
                #expect(error.exceptionType?.hasSuffix("MemberNotFoundException") == true, "\(error)")
                #expect(error.message.contains("isn't a member"))
            }
        }
    }
}
