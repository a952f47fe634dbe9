public import Foundation
public import Logging
import PSAClients
public import ServiceLifecycle
import TurnoverCore
import TurnoverStore

/// Looks at each tenant's offboarding board (policy `psa: {poll: true, company, board}`) and
/// imports the tickets it has not seen. A Service in serve's group; the store's import claims make
/// several servers import each ticket once.
public struct PSAPoller: Service {
    public let psa: PSADesk
    public let owner: String
    public var interval: Duration
    let logger: Logger

    public init(psa: PSADesk, owner: String, interval: Duration, logger: Logger) {
        self.psa = psa
        self.owner = owner
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.pollOnce()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// One look at every polled board; returns how many tickets were imported.
    @discardableResult
    public func pollOnce() async -> Int {
        var imported = 0
        let tenants: [StoredTenant]
        do { tenants = try await psa.store.tenants() } catch {
            logger.error("could not list tenants to poll their PSA boards", metadata: ["error": "\(error)"])
            return 0
        }
        for tenant in tenants {
            guard let settings = try? psa.settings(for: tenant), settings.poll else { continue }
            do {
                let client = try await psa.connected(named: settings.connection).client
                let queue = PSAQueue(company: settings.company, board: settings.board, statuses: settings.newStatuses)
                let tickets: [PSATicket]
                do throws(PSAError) { tickets = try await client.openTickets(queue) } catch {
                    logger.warning(
                        "could not read the PSA board",
                        metadata: ["tenant": "\(tenant.name)", "connection": "\(settings.connection)", "error": "\(error)"])
                    continue
                }
                for ticket in tickets {
                    // The import reads the ticket whole (the list's copy may be partial: ConnectWise keeps the
                    // description in a note), and answers from the store, without a PSA call, for one already imported.
                    do {
                        let result = try await psa.importTicket(
                            ticket.id, tenant: tenant.name, by: "psa:\(settings.connection)", claim: owner)
                        guard !result.alreadyImported else { continue }
                        imported += 1
                        logger.info(
                            "PSA ticket imported",
                            metadata: [
                                "tenant": "\(tenant.name)", "ticket": "\(ticket.id)", "outcome": "\(result.record.outcome.rawValue)",
                                "offboarding": "\(result.offboarding?.id.rawValue ?? "")",
                            ])
                    } catch {
                        logger.warning(
                            "could not import a PSA ticket; trying again next round",
                            metadata: ["tenant": "\(tenant.name)", "ticket": "\(ticket.id)", "error": "\(error)"])
                    }
                }
            } catch {
                logger.error("PSA poll failed", metadata: ["tenant": "\(tenant.name)", "error": "\(error)"])
            }
        }
        return imported
    }
}
