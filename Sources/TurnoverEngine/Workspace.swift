public import Foundation
public import MicrosoftGraph
public import TurnoverCore
public import TurnoverStore

/// The data directory: the SQLite store, the key that seals tenant secrets, and the tenants in it.
public struct Workspace: Sendable {
    public let directory: URL
    public let store: SQLiteStore
    public let secrets: SecretBox

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `--data-dir`, else `TURNOVER_DATA_DIR`, else the per-user data directory.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let configured = environment["TURNOVER_DATA_DIR"], !configured.isEmpty { return configured }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/turnover" }
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        #if os(macOS)
            return home + "/Library/Application Support/Turnover"
        #else
            return home + "/.local/share/turnover"
        #endif
    }

    public static func open(_ path: String) async throws -> Workspace {
        let directory = URL(fileURLWithPath: path, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let secrets = try SecretBox.load(keyFile: directory.appendingPathComponent("secret.key").path)
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("turnover.sqlite").path)
        return Workspace(directory: directory, store: store, secrets: secrets)
    }

    public func connection(for tenant: StoredTenant) throws -> TenantConnection {
        let credential: ClientCredential
        if let sealed = tenant.sealedCertificate {
            let pem = try secrets.open(sealed)
            guard let certificate = Self.block(pem, "CERTIFICATE"), let key = Self.privateKeyBlock(pem) else {
                throw Failure(description: "The stored certificate for \(tenant.name) has no certificate or private key.")
            }
            credential = .certificate(certificatePEM: certificate, privateKeyPEM: key)
        } else if let sealed = tenant.sealedSecret {
            credential = .secret(try secrets.open(sealed))
        } else {
            throw Failure(description: "Tenant \(tenant.name) has no credential.")
        }
        let cloud: Cloud
        if tenant.cloud == "simulator", let url = tenant.simulatorURL.flatMap(URL.init(string:)) {
            cloud = .simulator(url)
        } else if let named = Cloud(name: tenant.cloud) {
            cloud = named
        } else {
            throw Failure(description: "Unknown cloud '\(tenant.cloud)' for \(tenant.name).")
        }
        return TenantConnection(
            name: tenant.name, tenantId: tenant.tenantId, clientId: tenant.clientId, credential: credential, cloud: cloud)
    }

    public func policy(for tenant: StoredTenant, templateFile: String?) throws -> Policy {
        if let templateFile {
            guard let text = FileManager.default.contents(atPath: templateFile) else {
                throw Failure(description: "Cannot read the template \(templateFile).")
            }
            do { return try Policy.parse(yaml: String(decoding: text, as: UTF8.self)) } catch {
                throw Failure(description: "\(templateFile):\n\(error)")
            }
        }
        if let yaml = tenant.policyYAML {
            do { return try Policy.parse(yaml: yaml) } catch {
                throw Failure(description: "The policy stored for \(tenant.name):\n\(error)")
            }
        }
        return Policy()
    }

    static func block(_ pem: String, _ label: String) -> String? {
        guard let start = pem.range(of: "-----BEGIN \(label)-----"),
            let end = pem.range(of: "-----END \(label)-----", range: start.upperBound..<pem.endIndex)
        else { return nil }
        return String(pem[start.lowerBound..<end.upperBound])
    }

    static func privateKeyBlock(_ pem: String) -> String? {
        block(pem, "RSA PRIVATE KEY") ?? block(pem, "PRIVATE KEY")
    }
}

/// Plans an offboarding from live state.
public enum Offboarding {
    /// `store`, when given, is searched for an earlier unfinished run for the same leaver, so that
    /// re-planning after a partial failure plans only what is left.
    public static func plan(
        client: MicrosoftClient, upn: String, policy: Policy, tenant: String, store: (any TurnoverStore)? = nil, now: Date = Date()
    ) async throws -> (Plan, LeaverSnapshot) {
        let reader = StateReader(client: client)
        let snapshot = try await reader.read(upn)
        let people = try await reader.resolvePeople(policy: policy, snapshot: snapshot)
        var earlier: EarlierRun?
        if let store {
            earlier = try await earlierRun(store: store, tenant: tenant, upn: snapshot.user.userPrincipalName, userId: snapshot.user.id)
        }
        return (Planner.plan(snapshot: snapshot, policy: policy, people: people, tenant: tenant, now: now, earlier: earlier), snapshot)
    }

    /// The leaver's most recent run in this tenant that was approved, when it ended partially or failed.
    static func earlierRun(store: any TurnoverStore, tenant: String, upn: String, userId: String) async throws -> EarlierRun? {
        for summary in try await store.runs(limit: 50, tenant: tenant, userPrincipalName: upn) where summary.status != .blocked {
            guard let run = try await store.run(summary.id), run.user.id == userId else { continue }
            guard run.status == .partiallySucceeded || run.status == .failed else { return nil }
            return EarlierRun(id: run.id, succeeded: Set(run.steps.filter { $0.status == .succeeded }.map(\.kind)))
        }
        return nil
    }

    public static func createRun(
        store: any TurnoverStore, plan: Plan, snapshot: LeaverSnapshot, operator_: String?, now: Date = Date()
    ) async throws -> RunRecord {
        let run = RunRecord(id: RunID.make(now: now), plan: plan, snapshot: snapshot, createdAt: now, operator_: operator_)
        try await store.createRun(run)
        return run
    }
}
