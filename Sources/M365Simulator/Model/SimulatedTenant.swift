import Foundation
import Synchronization

/// One tenant's state, with the versions needed to model replication delay.
///
/// Writes always apply to the newest version. Reads see the newest version that is at least
/// `replicationDelay` old, as a Graph read served by a replica that has not caught up would.
final class SimulatedTenant: Sendable {
    let id: String
    let name: String
    let fixture: TenantFixture
    private let initial: TenantData
    private let versions: Mutex<[Version]>

    struct Version: Sendable {
        var committedAt: Date
        var data: TenantData
    }

    init(fixture: TenantFixture, data: TenantData, now: Date) {
        self.id = data.organization.id
        self.name = fixture.name
        self.fixture = fixture
        self.initial = data
        self.versions = Mutex([Version(committedAt: now, data: data)])
    }

    var initialDomain: String { initial.organization.initialDomain }
    var domains: [String] { initial.organization.verifiedDomains }

    /// Whether `key` (a tenant id or one of its domains) names this tenant.
    func matches(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return id.lowercased() == lowered || name.lowercased() == lowered || domains.contains { $0.lowercased() == lowered }
    }

    /// Reads the state a replica would serve at `now`.
    func read<T>(now: Date, replicationDelay: Duration, _ body: (TenantData) throws -> T) rethrows -> T {
        var visible = versions.withLock { versions -> TenantData in
            let cutoff = now.addingTimeInterval(-replicationDelay.seconds)
            while versions.count >= 2, versions[1].committedAt <= cutoff { versions.removeFirst() }
            return versions[0].data
        }
        visible.readTime = now
        return try body(visible)
    }

    /// Reads the authoritative (primary) state, ignoring replication delay.
    func readPrimary<T>(_ body: (TenantData) throws -> T) rethrows -> T {
        let current = versions.withLock { $0[$0.count - 1].data }
        return try body(current)
    }

    /// Applies a change to the primary; readers see it once `replicationDelay` has passed.
    ///
    /// The body works on a copy, so a thrown error leaves the tenant unchanged.
    func write<T>(now: Date, replicationDelay: Duration, _ body: (inout TenantData) throws -> T) rethrows -> T {
        try versions.withLock { versions in
            var data = versions[versions.count - 1].data
            let result = try body(&data)
            if replicationDelay <= .zero {
                versions = [Version(committedAt: now, data: data)]
            } else {
                versions.append(Version(committedAt: now, data: data))
            }
            return result
        }
    }

    /// Restores the state the fixture produced.
    func reset(now: Date) {
        versions.withLock { $0 = [Version(committedAt: now, data: initial)] }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
