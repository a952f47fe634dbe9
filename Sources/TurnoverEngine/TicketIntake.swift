public import Foundation
import MicrosoftGraph
public import TurnoverCore
public import TurnoverStore

/// Reads a PSA ticket against the tenant's own directory: "Ben" becomes ben.carter only when he is
/// the only Ben. The directory is read fresh for each ticket (names change; a cached one could
/// resolve a leaver who has since been renamed).
public struct TicketIntake: Sendable {
    public let clients: TenantClients

    public init(clients: TenantClients) { self.clients = clients }

    public struct Reading: Sendable {
        public var extraction: TicketExtraction
        public var draft: TicketDraft
        /// How many people the names were matched against.
        public var directorySize: Int
    }

    public func read(_ ticket: TicketText, tenant: StoredTenant) async throws -> Reading {
        let policy = try clients.policy(for: tenant, overrides: [])
        let directory = try await Self.directory(try clients.client(for: tenant))
        let zone = TimeZone(identifier: policy.timeZone) ?? .gmt
        let reading = TicketReading(directory: directory, timeZone: zone, dateOrder: Self.dateOrder(for: zone))
        let extraction = reading.read(ticket)
        return Reading(extraction: extraction, draft: TicketDraft(extraction), directorySize: directory.count)
    }

    /// 04/12/2026 is the 12th of April in the United States' zones and the 4th of December elsewhere.
    static func dateOrder(for zone: TimeZone) -> DateOrder {
        zone.identifier.hasPrefix("America/") && !["America/Sao_Paulo", "America/Argentina/Buenos_Aires"].contains(zone.identifier)
            ? .monthDay : .dayMonth
    }

    /// Every member of the directory (id, user principal name, display name), page by page.
    static func directory(_ client: MicrosoftClient) async throws -> [PersonRef] {
        var people: [PersonRef] = []
        var page = try await client.searchUsers("", top: 999)
        while true {
            people += page.users.compactMap { user in
                user.userPrincipalName.map { PersonRef(id: user.id, userPrincipalName: $0, displayName: user.displayName ?? $0) }
            }
            guard let next = page.nextLink, people.count < 100_000 else { break }
            page = try await client.searchUsers("", top: 999, nextLink: next)
        }
        return people
    }
}
