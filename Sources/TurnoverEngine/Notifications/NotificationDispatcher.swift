public import Foundation
public import Logging
public import ServiceLifecycle
public import TurnoverCore
public import TurnoverStore

/// Routes new audit entries to deliveries and sends the deliveries that are due, retrying with
/// backoff and recording every attempt. A Service in serve's group; each delivery is sent under a
/// lease, so several servers on one database send it once.
public struct NotificationDispatcher: Service {
    public let router: NotificationRouter
    public let transports: NotificationTransports
    public let owner: String
    public var interval: Duration
    /// Multiplies `NotificationDelivery.backoff` (tests use a small one).
    public var backoffScale: Double
    let logger: Logger

    public init(
        router: NotificationRouter, transports: NotificationTransports, owner: String, interval: Duration, backoffScale: Double = 1,
        logger: Logger
    ) {
        self.logger = logger
        self.router = router
        self.transports = transports
        self.owner = owner
        self.interval = interval
        self.backoffScale = backoffScale
    }

    var store: any TurnoverStore { router.store }

    public func run() async throws {
        let sending = RunWorker.InFlight()
        await cancelWhenGracefulShutdown {
            // Deliveries in flight live in this group across rounds, so a receiver that does not
            // answer holds one slot until its timeout, and routing and every other message go on.
            await withTaskGroup(of: Void.self) { group in
                while !Task.isCancelled {
                    await self.route()
                    while sending.current < Self.concurrentDeliveries, let id = await self.claimDue() {
                        sending.add(1)
                        group.addTask {
                            await self.deliver(id)
                            sending.add(-1)
                        }
                    }
                    try? await Task.sleep(for: self.interval)
                }
                await group.waitForAll()
            }
        }
    }

    func route() async {
        do {
            try await router.routeNew()
        } catch {
            logger.error("could not route notifications; trying again next round", metadata: ["error": "\(error)"])
        }
    }

    /// The next delivery that is due, now leased to this dispatcher.
    func claimDue() async -> String? {
        do {
            return try await store.claim(
                .deliveries, id: nil, owner: owner, until: router.now().addingTimeInterval(120), now: router.now())
        } catch {
            logger.error("could not take due notifications", metadata: ["error": "\(error)"])
            return nil
        }
    }

    static let concurrentDeliveries = 8

    func deliver(_ id: String) async {
        do {
            guard var delivery = try await store.delivery(id), delivery.status == .pending else { return }
            let at = router.now()
            let outcome = await send(delivery, at: at)
            delivery.record(
                NotificationDelivery.Attempt(at: at, succeeded: outcome.succeeded, code: outcome.code, detail: outcome.detail),
                permanent: outcome.permanent, backoffScale: backoffScale)
            try await store.updateDelivery(delivery)
            var metadata: Logger.Metadata = [
                "delivery": "\(id)", "channel": "\(delivery.channel.rawValue)", "event": "\(delivery.event.rawValue)",
                "status": "\(delivery.status.rawValue)", "detail": "\(outcome.detail)",
            ]
            if let next = delivery.nextAttemptAt { metadata["next"] = "\(next)" }
            outcome.succeeded
                ? logger.info("notification sent", metadata: metadata) : logger.warning("notification not sent", metadata: metadata)
        } catch {
            logger.error("could not record a notification attempt", metadata: ["delivery": "\(id)", "error": "\(error)"])
        }
        try? await store.release(.deliveries, id: id, owner: owner)
    }

    func send(_ delivery: NotificationDelivery, at: Date) async -> NotificationTransports.Outcome {
        switch delivery.channel {
        case .email:
            let message = MailMessage(
                to: delivery.target, subject: delivery.subject ?? "[Turnover]", text: delivery.text ?? "", html: delivery.html ?? "",
                messageID: "\(delivery.id)@turnover")
            return await transports.sendMail(message, at)
        case .webhook, .teams:
            guard let url = URL(string: delivery.target) else {
                return .init(succeeded: false, code: nil, detail: "not a URL: \(delivery.target)", permanent: true)
            }
            let body = Data((delivery.body ?? "{}").utf8)
            var headers = [("Turnover-Event", delivery.event.rawValue), ("Turnover-Delivery", delivery.id)]
            if delivery.channel == .webhook {
                let secret = router.secrets.webhookSecret(for: url)
                headers.append(
                    (WebhookSignature.header, WebhookSignature.value(secret: secret, timestamp: Int(at.timeIntervalSince1970), body: body)))
            }
            return await transports.post(url, headers, body)
        case .psa:
            // The body says what; the offboarding names the ticket (and the PSA instance it is on).
            guard let action = try? JSONDecoder.iso8601.decode(PSAWriteBack.self, from: Data((delivery.body ?? "").utf8)),
                let request = try? await store.offboarding(delivery.offboarding)?.request, let ticket = request.ticket
            else {
                return .init(succeeded: false, code: nil, detail: "not a PSA write: \(delivery.target)", permanent: true)
            }
            // A status retried late must not undo a later one (a "submitted" after "completed" would reopen the ticket).
            if case .status = action,
                let newer = try? await store.deliveries(offboarding: delivery.offboarding, limit: 1000).first(where: {
                    $0.channel == .psa && $0.target == delivery.target && $0.sourceSequence > delivery.sourceSequence
                        && $0.status == .delivered
                })
            {
                return .init(
                    succeeded: false, code: nil,
                    detail: "not sent: a later status (\(newer.event.rawValue)) is already on the ticket", permanent: true)
            }
            return await transports.writeToTicket(ticket, action)
        }
    }
}

extension JSONDecoder {
    /// Dates as the router's JSON writes them.
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
