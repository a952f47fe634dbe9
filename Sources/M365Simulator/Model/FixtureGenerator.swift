import Foundation
import _CryptoExtras

/// Generates tenants of any size for scale work: N users in each of M tenants, with the same
/// kinds of edges as the demo tenant in proportion (managers, group types, licences, forwarding,
/// delegations, devices), reproducible from a seed.
public enum FixtureGenerator {
    static let givenNames = [
        "Ava", "Liam", "Mia", "Noah", "Zoe", "Ethan", "Isla", "Lucas", "Chloe", "Omar", "Priya", "Mateo", "Hana", "Kofi", "Ines", "Yuki",
        "Sven",
        "Amara", "Diego", "Lena", "Ravi", "Nadia", "Felix", "Aisha", "Jonas", "Elif", "Tariq", "Maren", "Wei", "Sofia",
    ]
    static let surnames = [
        "Adler", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova", "Jensen", "Kowalski", "Larsen", "Moreau",
        "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka", "Uddin", "Varga", "Weber", "Xu", "Yilmaz", "Zhang",
    ]
    static let departments = ["Sales", "Finance", "Engineering", "Marketing", "Operations", "Legal", "Support", "HR"]

    /// Fixtures for `tenants` tenants named `Scale001…` with `usersPerTenant` users each.
    public static func fixtures(tenants: Int, usersPerTenant: Int, seed: UInt64) -> [TenantFixture] {
        (1...max(1, tenants)).map { index in fixture(index: index, users: usersPerTenant, seed: seed) }
    }

    static func fixture(index: Int, users count: Int, seed: UInt64) -> TenantFixture {
        var random = SplitMix64(seed: seed &+ UInt64(index) &* 7_919)
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        func chance(_ probability: Double) -> Bool { Double(random.next() >> 11) / Double(1 << 53) < probability }
        let name = String(format: "Scale%03d", index)
        let domain = "\(name.lowercased()).example"
        var fixture = TenantFixture(name: name)
        fixture.domains = [domain]
        fixture.apps = [
            TenantFixture.App(
                name: "Turnover", clientSecret: "scale-secret-\(index)", graph: DemoTenants.fullGraphPermissions,
                exchange: ["Exchange.ManageAsApp"],
                sharePoint: ["Sites.FullControl.All"], roles: DemoTenants.fullAppRoles)
        ]
        let licensed = max(1, count)
        fixture.skus = [
            TenantFixture.Sku(part: "SPE_E3", units: licensed + 10),
            TenantFixture.Sku(part: "SPB", units: licensed / 4 + 5),
            TenantFixture.Sku(part: "EXCHANGEARCHIVE_ADDON", units: licensed / 10 + 5),
        ]
        let groupCount = max(4, count / 40)
        var groups: [TenantFixture.Group] = []
        for groupIndex in 0..<groupCount {
            let type = ["m365", "security", "distribution", "mail-security"][groupIndex % 4]
            groups.append(
                TenantFixture.Group(
                    key: "g\(groupIndex)", name: "\(departments[groupIndex % departments.count]) \(type) \(groupIndex)", type: type,
                    members: [], owners: []))
        }
        groups.append(
            TenantFixture.Group(
                key: "licensing", name: "Licensing - M365 E3", type: "security", licenses: ["SPE_E3"], members: [], owners: []))
        var users: [TenantFixture.User] = []
        var roles: [String: [String]] = ["Global Administrator": []]
        for userIndex in 0..<count {
            let key = "u\(userIndex)"
            let given = pick(givenNames)
            let surname = pick(surnames)
            var user = TenantFixture.User(key: key, name: "\(given) \(surname)")
            user.upn = "\(given.lowercased()).\(surname.lowercased()).\(userIndex)@\(domain)"
            user.department = pick(departments)
            user.title = "Specialist"
            if userIndex > 0 { user.manager = "u\(userIndex / 8)" }
            let viaGroup = chance(0.2)
            if !viaGroup { user.licenses = chance(0.8) ? ["SPE_E3"] : ["SPB"] }
            user.authMethods = [TenantFixture.AuthMethod(type: "microsoftAuthenticator", name: "Phone")]
            user.lastSignIn = "-\(1 + random.next() % 72)h"
            var mailbox = TenantFixture.MailboxSpec()
            mailbox.sizeGB = Double(random.next() % 4_500) / 100
            if chance(0.05) { mailbox.forwardSmtp = "\(given.lowercased())@personal.example" }
            if chance(0.1), userIndex > 0 { mailbox.fullAccess = [TenantFixture.Grant(user: "u\(userIndex - 1)")] }
            if chance(0.1) { mailbox.rules = [TenantFixture.Rule(name: "Move newsletters", moveTo: "Newsletters", from: ["news@"])] }
            if chance(0.3) { mailbox.mobileDevices = [TenantFixture.MobileDeviceSpec(model: "iPhone 15", os: "iOS 17.5")] }
            user.mailbox = mailbox
            if chance(0.6) { user.devices = [TenantFixture.Device(name: "PC-\(userIndex)", os: "Windows", intune: true, compliant: true)] }
            users.append(user)
            if viaGroup { groups[groups.count - 1].members?.append(key) }
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let groupIndex = Int(random.next() % UInt64(groupCount))
                if groups[groupIndex].members?.contains(key) == false { groups[groupIndex].members?.append(key) }
            }
            if userIndex < 2 { roles["Global Administrator"]?.append(key) }
        }
        for groupIndex in 0..<groupCount where !(groups[groupIndex].members ?? []).isEmpty {
            groups[groupIndex].owners = [groups[groupIndex].members![0]]
        }
        fixture.users = users
        fixture.groups = groups
        fixture.roles = roles
        return fixture
    }
}

extension Simulator {
    /// Loads generated tenants; their apps share one key so that loading thousands of users stays fast.
    func loadGeneratedTenants(count: Int, usersPerTenant: Int, seed: UInt64) throws -> [TenantSummary] {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let now = clock()
        return try FixtureGenerator.fixtures(tenants: count, usersPerTenant: usersPerTenant, seed: seed).map { fixture in
            let data = try TenantBuilder.build(fixture, now: now) { name in
                SelfSignedCertificate.appCertificate(
                    from: try SelfSignedCertificate.certificate(for: key, commonName: name, subjectAlternativeNames: [], now: now))
            }
            return install(fixture: fixture, data: data)
        }
    }

    /// Public entry for the CLI and benchmarks.
    @discardableResult
    public func generateTenants(count: Int, usersPerTenant: Int, seed: UInt64 = 1) throws -> [TenantSummary] {
        try loadGeneratedTenants(count: count, usersPerTenant: usersPerTenant, seed: seed)
    }
}
