import AsyncHTTPClient
import Foundation
import Logging
import M365Simulator
import MicrosoftGraph
import NIOCore
import NIOFoundationCompat
import SQLiteKit
import Testing

@Suite("Approval flow of turnover serve, judged on the simulator", .serialized)
struct ApprovalFlowTests {
    /// A Graph client of the sandbox's Contoso, as another administrator would change the tenant meanwhile.
    static func contosoClient(_ serve: ServeProcess, _ api: APIClient) async throws -> MicrosoftClient {
        let simulatorURL = try #require(serve.simulatorURL)
        let reply = try await api.http.execute(HTTPClientRequest(url: simulatorURL + "/_sim/tenants"), timeout: .seconds(30))
        let tenants = try JSONSerialization.jsonObject(with: Data(buffer: try await reply.body.collect(upTo: 1 << 20))) as? [[String: Any]]
        let contoso = try #require(tenants?.first { $0["name"] as? String == "Contoso" })
        let app = try #require(
            (contoso["apps"] as? [[String: Any]])?.first { !(($0["displayName"] as? String) ?? "").contains("read-only") })
        let connection = TenantConnection(
            name: "contoso", tenantId: try #require(contoso["tenantId"] as? String), clientId: try #require(app["clientId"] as? String),
            credential: .secret(try #require(app["clientSecret"] as? String)), cloud: .simulator(URL(string: simulatorURL)!))
        return MicrosoftClient(connection: connection, transport: .asyncHTTPClient(api.http))
    }

    @Test("approve with changes: the dropped step is left out of the run, and the tenant shows it was not done")
    func approveWithChanges() async throws {
        try await withServe { serve, api, team in
            let submitted = try await api.call(
                "POST", "/offboardings", token: team.technician, json: ["tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com"])
            let id = try #require(submitted.object["id"] as? String)
            let steps = (submitted.object["steps"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(steps.contains("hide-from-gal"))
            let unknown = try await api.call(
                "POST", "/offboardings/\(id)/approve", token: team.approver, json: ["dropSteps": ["no-such-step"]])
            #expect(unknown.status == 422)
            let approved = try await api.call(
                "POST", "/offboardings/\(id)/approve", token: team.approver,
                json: ["dropSteps": ["hide-from-gal"], "comment": "keep him in the GAL"])
            #expect(approved.status == 200, "\(approved.text)")
            #expect(
                (approved.object["notes"] as? [String] ?? []).contains {
                    $0.contains("approved with changes") && $0.contains("hide-from-gal")
                })
            let finished = try await api.waitFor(id, token: team.technician, statuses: ["succeeded", "partially-succeeded", "failed"])
            let problems = (finished["steps"] as? [[String: Any]] ?? []).filter {
                $0["status"] as? String != "succeeded" && $0["status"] as? String != "skipped"
            }
            #expect(finished["status"] as? String == "succeeded", "\(problems)")
            #expect(!((finished["steps"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }.contains("hide-from-gal")))
            let state = try await api.simulatorState(serve)
            #expect(state.accountEnabled("ben.carter@contoso.com") == false)
            #expect(state.mailbox("ben.carter@contoso.com")?["hiddenFromAddressListsEnabled"] as? Bool != true)
        }
    }

    @Test("live state that changed after the approval sends the plan back for approval; approved again, the new step runs")
    func replanBeforeRunning() async throws {
        try await withServe { serve, api, team in
            // Two approvers: the first approval leaves time for the tenant to change.
            let tenant = try await api.call("GET", "/tenants/contoso", token: team.admin)
            let yaml = try #require(tenant.object["policyYAML"] as? String).replacingOccurrences(of: "quorum: 1", with: "quorum: 2")
            #expect(try await api.call("PUT", "/tenants/contoso/policy", token: team.admin, json: ["yaml": yaml]).status == 200)

            let submitted = try await api.call(
                "POST", "/offboardings", token: team.technician, json: ["tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com"])
            let id = try #require(submitted.object["id"] as? String)
            #expect(submitted.object["quorum"] as? Int == 2)
            #expect(try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: [:]).status == 200)
            #expect(
                try await api.call("GET", "/offboardings/\(id)", token: team.technician).object["status"] as? String == "awaiting-approval")

            // Meanwhile another administrator adds Ben to a group.
            let state = try await api.simulatorState(serve)
            let benId = state.userId("ben.carter@contoso.com")
            // A cloud security group he is not in, with no rule and no licence: its one effect is the membership.
            let candidates = state.groups.filter {
                !(($0.value["members"] as? [String]) ?? []).contains(benId) && $0.value["mailEnabled"] as? Bool != true
                    && (($0.value["groupTypes"] as? [String]) ?? []).isEmpty && $0.value["onPremisesSyncEnabled"] as? Bool != true
                    && $0.value["membershipRule"] == nil && (($0.value["assignedLicenses"] as? [Any]) ?? []).isEmpty
                    && $0.value["isAssignableToRole"] as? Bool != true
                    // Not the policy's block group: being in it is what the plan wants.
                    && $0.value["displayName"] as? String != "CA - Blocked leavers"
            }
            let group = try #require(
                candidates.sorted { ($0.value["displayName"] as? String ?? "") < ($1.value["displayName"] as? String ?? "") }.first)
            let graph = try await Self.contosoClient(serve, api)
            try await graph.addGroupMember(groupId: group.key, userId: benId)
            // Graph's reads catch up with a write after a moment (the simulator replicates as Entra does):
            // wait until Graph shows the new membership, as the worker's re-check will read it.
            var visible = false
            for _ in 0..<100 where !visible {
                visible = try await graph.memberOf(benId).contains { $0.id == group.key }
                if !visible { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(visible)

            #expect(try await api.call("POST", "/offboardings/\(id)/approve", token: team.admin, json: [:]).status == 200)
            let sentBack = try await api.waitFor(id, token: team.technician, statuses: ["awaiting-approval"], timeout: .seconds(60))
            #expect((sentBack["notes"] as? [String] ?? []).contains { $0.contains("live state changed") })
            #expect((sentBack["approvals"] as? [Any] ?? []).isEmpty)
            #expect(sentBack["runId"] == nil)
            // Nothing ran: Ben can still sign in.
            #expect(try await api.simulatorState(serve).accountEnabled("ben.carter@contoso.com") == true)

            #expect(try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: [:]).status == 200)
            #expect(try await api.call("POST", "/offboardings/\(id)/approve", token: team.admin, json: [:]).status == 200)
            let finished = try await api.waitFor(id, token: team.technician, statuses: ["succeeded", "partially-succeeded", "failed"])
            let problems = (finished["steps"] as? [[String: Any]] ?? []).filter {
                $0["status"] as? String != "succeeded" && $0["status"] as? String != "skipped"
            }
            #expect(finished["status"] as? String == "succeeded", "\(problems)")
            let after = try await api.simulatorState(serve)
            let members = after.groups[group.key]?["members"] as? [String] ?? []
            #expect(!members.contains(benId))
            #expect(after.accountEnabled("ben.carter@contoso.com") == false)
        }
    }

    @Test("SIGTERM mid-run: the steps in flight finish, the process exits cleanly and leaves no lease and no attempt open")
    func gracefulShutdown() async throws {
        let serve = try await ServeProcess()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let api = APIClient(baseURL: serve.baseURL, http: http)
        let team = try await Team.make(serve, api)
        let submitted = try await api.call(
            "POST", "/offboardings", token: team.technician, json: ["tenant": "contoso", "userPrincipalName": "rhea.lambert@contoso.com"])
        let id = try #require(submitted.object["id"] as? String)
        #expect(try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: [:]).status == 200)
        // Wait until the run has started and some step has finished.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while clock.now < deadline {
            let steps = try await api.call("GET", "/offboardings/\(id)", token: team.technician).object["steps"] as? [[String: Any]] ?? []
            if steps.contains(where: { $0["status"] as? String == "succeeded" }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let status = await serve.stop()
        try await http.shutdown()
        #expect(status == 0, "\(serve.errors)")

        var logger = Logger(label: "check")
        logger.logLevel = .critical
        let connection = try await SQLiteConnection.open(storage: .file(path: serve.dataDirectory + "/turnover.sqlite"), logger: logger)
        let leases = try await connection.sql().raw("SELECT COUNT(*) AS n FROM runs WHERE lease_owner IS NOT NULL").all()
        #expect(try leases.first?.decode(column: "n", as: Int.self) == 0)
        let open = try await connection.sql().raw("SELECT COUNT(*) AS n FROM attempts WHERE finished_at IS NULL").all()
        #expect(try open.first?.decode(column: "n", as: Int.self) == 0)
        try await connection.close()
    }
}
