import Foundation
import M365Simulator
import MicrosoftGraph
import Testing

/// The issue's bar: 200 mixed operations across 3 tenants under 20% 429/503 (plus dropped
/// connections) and 50 ms latency end in exactly the state of a fault-free run.
@Suite("Fault equivalence")
struct FaultEquivalenceTests {
    /// The scripted operations for one tenant: 67 of them, reads and writes, Graph and Exchange,
    /// idempotent and not (adding owners and Full Access must never be doubled).
    static func script(client: MicrosoftClient) async throws -> Int {
        let users = try await client.graphAll("/users?$select=id,userPrincipalName&$orderby=userPrincipalName", as: GraphUser.self)
            .sorted { ($0.userPrincipalName ?? "") < ($1.userPrincipalName ?? "") }
        let groups = try await client.graphAll(
            "/groups?$select=id,displayName,groupTypes,mailEnabled,securityEnabled", as: DirectoryObject.self
        )
        .filter { $0.mailEnabled != true || $0.groupTypes?.contains("Unified") == true }
        .sorted { ($0.displayName ?? "") < ($1.displayName ?? "") }
        let leavers = Array(users.dropFirst(2).prefix(10))
        var operations = 2
        try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, user) in leavers.enumerated() {
                let upn = user.userPrincipalName!
                group.addTask {
                    try await client.setAccountEnabled(user.id, false)
                    try await client.revokeSignInSessions(user.id)
                    try await client.updateUser(user.id, ["jobTitle": "Leaver"])
                    try await client.setMailbox(upn, ["HiddenFromAddressListsEnabled": true])
                    return 4
                }
                if index < groups.count {
                    let groupId = groups[index].id
                    group.addTask {
                        try await client.addGroupOwner(groupId: groupId, userId: user.id)
                        return 1
                    }
                }
                if index % 2 == 0, index + 1 < leavers.count {
                    let delegate = leavers[index + 1].userPrincipalName!
                    group.addTask {
                        try await client.addFullAccess(mailbox: upn, delegate: delegate, autoMapping: false)
                        return 1
                    }
                }
            }
            for _ in 0..<max(0, 67 - 2 - leavers.count * 4 - min(groups.count, leavers.count) - (leavers.count + 1) / 2) {
                group.addTask {
                    _ = try await client.subscribedSkus()
                    return 1
                }
            }
            for try await count in group { operations += count }
        }
        return operations
    }

    /// The parts of a tenant's state the script changes, without timestamps.
    static func projection(_ lab: Lab, tenant: String) async throws -> String {
        let state = try await lab.control("GET", "/_sim/tenants/\(tenant)/state") as? [String: Any] ?? [:]
        var lines: [String] = []
        for (id, value) in (state["users"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let user = value as? [String: Any] ?? [:]
            lines.append("user \(id) enabled=\(user["accountEnabled"] as? Bool ?? true) title=\(user["jobTitle"] as? String ?? "-")")
        }
        for (id, value) in (state["groups"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let group = value as? [String: Any] ?? [:]
            lines.append("group \(id) owners=\((group["owners"] as? [String] ?? []))")
        }
        for (id, value) in (state["mailboxes"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let mailbox = value as? [String: Any] ?? [:]
            let fullAccess = (mailbox["fullAccess"] as? [[String: Any]] ?? []).map { "\($0["trusteeId"] ?? "")" }
            lines.append("mailbox \(id) hidden=\(mailbox["hiddenFromAddressListsEnabled"] as? Bool ?? false) fullAccess=\(fullAccess)")
        }
        return lines.joined(separator: "\n")
    }

    /// Each of the ten leavers the script changed (title "Leaver") is disabled and hidden, user by user.
    static func leaversContained(_ state: String) -> Bool {
        let lines = state.split(separator: "\n").map(String.init)
        let leavers = lines.filter { $0.hasPrefix("user ") && $0.hasSuffix("title=Leaver") }.map { $0.split(separator: " ")[1] }
        return leavers.count == 10
            && leavers.allSatisfy { id in
                lines.contains("user \(id) enabled=false title=Leaver") && lines.contains { $0.hasPrefix("mailbox \(id) hidden=true") }
            }
    }

    static func run(
        faults: Bool
    ) async throws -> (states: [String], operations: Int, telemetry: ClientTelemetry.Counts, badRequests: [String]) {
        let telemetry = ClientTelemetry()
        nonisolated(unsafe) var result: (states: [String], operations: Int, telemetry: ClientTelemetry.Counts, badRequests: [String]) = (
            [], 0, .init(), []
        )
        try await Lab.run(
            demo: false, generated: 3,
            configure: { settings in
                settings.mailboxConversionDelayMilliseconds = 0
                if faults {
                    settings.latencyMilliseconds = 50
                    settings.throttleFaultRate = 0.1
                    settings.transientFaultRate = 0.1
                    settings.dropRate = 0.03
                    settings.randomSeed = 42
                }
            }
        ) { lab in
            let tenants = lab.simulator.tenantSummaries().map(\.name).sorted()
            var options = ClientOptions()
            options.retry.maxAttempts = 12
            let clients = tenants.map { lab.client($0, options: options, telemetry: telemetry) }
            let operations = try await withThrowingTaskGroup(of: Int.self) { group in
                for client in clients { group.addTask { try await script(client: client) } }
                return try await group.reduce(0, +)
            }
            var states: [String] = []
            for tenant in tenants { states.append(try await projection(lab, tenant: tenant)) }
            let bad = try await lab.requestLog().filter { [400, 405, 501].contains($0["status"] as? Int ?? 0) }
                .map { "\($0["method"] ?? "") \($0["path"] ?? "") \($0["status"] ?? "")" }
            result = (states, operations, telemetry.total(), bad)
        }
        return result
    }

    @Test("200 operations across 3 tenants under faults end exactly as without faults, with retries counted and no request rejected")
    func faultsChangeNothing() async throws {
        let clean = try await Self.run(faults: false)
        let faulty = try await Self.run(faults: true)
        #expect(clean.operations >= 200)
        #expect(faulty.operations == clean.operations)
        #expect(faulty.states == clean.states)
        #expect(clean.states.allSatisfy(Self.leaversContained), "\(clean.states)")
        #expect(clean.states.allSatisfy { !$0.contains("fullAccess=[\"\"") }, "Full Access is projected by trustee")
        #expect(faulty.telemetry.retries > 0)
        #expect(faulty.telemetry.throttled > 0)
        #expect(faulty.telemetry.transientFailures > 0)
        #expect(clean.badRequests.isEmpty, "strict mode rejected: \(clean.badRequests.prefix(5))")
        #expect(faulty.badRequests.isEmpty, "strict mode rejected: \(faulty.badRequests.prefix(5))")
    }
}
