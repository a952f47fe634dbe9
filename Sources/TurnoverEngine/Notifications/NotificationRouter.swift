import Crypto
public import Foundation
public import TurnoverCore
public import TurnoverStore

/// Turns what the audit log recorded into deliveries, per the tenant's `notifications:` routes.
///
/// It reads the audit log from the last routed entry, so whoever recorded an event (the API, the
/// console, the worker, the CLI) needs to know nothing of notifications, and a server that was
/// down routes what it missed when it returns. Delivery ids are derived from the entry, the
/// channel and the target, so two servers routing the same entries store each delivery once.
public struct NotificationRouter: Sendable {
    public let store: any TurnoverStore
    public let secrets: SecretBox
    /// The console's address, for the links in messages (known once the server has bound its port).
    public var publicURL: @Sendable () -> String
    /// The policy that routes a tenant's events (nil: the tenant is gone, nothing is sent).
    public var policy: @Sendable (String) async throws -> Policy?
    public var now: @Sendable () -> Date

    public init(
        store: any TurnoverStore, secrets: SecretBox, publicURL: @escaping @Sendable () -> String,
        policy: @escaping @Sendable (String) async throws -> Policy?,
        now: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.secrets = secrets
        self.publicURL = publicURL
        self.policy = policy
        self.now = now
    }

    /// Routes the audit entries after the cursor; returns how many deliveries were created.
    @discardableResult
    public func routeNew(limit: Int = 200) async throws -> Int {
        let cursor = try await store.notificationCursor()
        let entries = try await store.auditEntries(after: cursor, limit: limit)
        guard let last = entries.last else { return 0 }
        var deliveries: [NotificationDelivery] = []
        for entry in entries { deliveries += try await route(entry) }
        try await store.enqueueDeliveries(deliveries, routedThrough: last.sequence)
        return deliveries.count
    }

    /// The events an audit entry stands for: most entries stand for none.
    static func events(of entry: AuditEntry, request: OffboardingRequest, runStatus: RunStatus?) -> [NotificationEvent] {
        switch entry.action {
        case "offboarding.submitted", "offboarding.undo-submitted":
            return request.plan.isBlocked ? [.submitted] : [.submitted, .approvalNeeded]
        case "offboarding.approved":
            // Only the approval that completed the quorum (the earlier ones were at or before it).
            let approvalsSoFar = request.approvals.filter { $0.at.timeIntervalSince1970 * 1000 <= Double(entry.atMilliseconds) + 1 }
            return approvalsSoFar.count >= request.quorum ? [.approved] : []
        case "offboarding.stage-planned": return request.plan.isBlocked ? [] : [.approvalNeeded]
        case "offboarding.stage-planned-late": return (request.plan.isBlocked ? [] : [.approvalNeeded]) + [.scheduleMissed]
        case "offboarding.rejected": return [.rejected]
        case "offboarding.cancelled": return [.cancelled]
        case "offboarding.expired": return [.expired]
        case "run.started": return [.started]
        case "run.started-late": return [.started, .scheduleMissed]
        case "run.finished": return runStatus.map { [NotificationEvent.finished($0)] } ?? []
        default: return []
        }
    }

    func route(_ entry: AuditEntry) async throws -> [NotificationDelivery] {
        guard entry.action.hasPrefix("offboarding.") || entry.action.hasPrefix("run."),
            let tenant = entry.tenant, let subject = entry.subject, subject.hasPrefix("o-"),
            let (request, _) = try await store.offboarding(OffboardingID(subject)),
            let policy = try await policy(tenant)
        else { return [] }
        let settings = policy.notifications
        guard !settings.isEmpty || request.ticket != nil else { return [] }
        var run: RunRecord?
        if entry.action == "run.finished", let runId = request.runId { run = try await store.run(runId) }
        let events = Self.events(of: entry, request: request, runStatus: run?.status)
        guard !events.isEmpty else { return [] }
        let operators = try await store.operators()
        let failures = (run?.steps ?? []).filter { $0.status == .failed || $0.status == .blocked }.map { step in
            "\(step.title): \(step.error?.message ?? step.reason ?? step.status.rawValue)"
        }
        let occurredAt = entry.at
        var deliveries: [NotificationDelivery] = []
        let base = publicURL().hasSuffix("/") ? String(publicURL().dropLast()) : publicURL()
        for event in events {
            let link: String
            if event == .approvalNeeded {
                let expires = occurredAt.addingTimeInterval(TimeInterval(settings.approvalLinkHours) * 3600)
                link = "\(base)/offboardings/\(request.id.rawValue)?link=\(secrets.approvalLinkToken(for: request.id, expires: expires))"
            } else {
                link = "\(base)/offboardings/\(request.id.rawValue)"
            }
            let content = NotificationContent.make(event: event, request: request, failures: failures, link: link)
            if let ticket = request.ticket {
                // The ticket's own connection: the policy may since name another for new tickets.
                let psa = policy.psa?.connection == ticket.connection ? policy.psa : nil
                let isLastStage = request.stage == nil || request.stage == policy.stages.last?.name
                for action in PSAWriteBack.actions(
                    for: event, request: request, run: run, settings: psa, content: content, isLastStage: isLastStage)
                {
                    var delivery = make(entry, request, event, .psa, "\(ticket.connection)#\(ticket.id)/\(action.action)")
                    delivery.body = Self.json(action)
                    deliveries.append(delivery)
                }
            }
            var addressed: Set<String> = []
            for route in settings.routes where route.events.contains(event) {
                for (address, withKeeping) in Self.addresses(route.email, request: request, operators: operators, contact: settings.contact)
                where addressed.insert(address.lowercased()).inserted {
                    var delivery = make(entry, request, event, .email, address)
                    delivery.subject = "[Turnover] \(content.headline)"
                    delivery.text = content.text(withKeeping: withKeeping)
                    delivery.html = content.html(withKeeping: withKeeping)
                    deliveries.append(delivery)
                }
                if let url = route.webhook, addressed.insert(url.absoluteString).inserted {
                    var delivery = make(entry, request, event, .webhook, url.absoluteString)
                    delivery.body = Self.json(WebhookPayload(delivery: delivery.id, occurredAt: occurredAt, content: content))
                    deliveries.append(delivery)
                }
                if let url = route.teams, addressed.insert(url.absoluteString).inserted {
                    var delivery = make(entry, request, event, .teams, url.absoluteString)
                    delivery.body = Self.json(TeamsMessage(content: content))
                    deliveries.append(delivery)
                }
            }
        }
        return deliveries
    }

    /// E-mail addresses for the recipients, each with whether it gets who-keeps-what.
    static func addresses(
        _ recipients: [EmailRecipient], request: OffboardingRequest, operators: [OperatorRecord], contact: String?
    ) -> [(String, Bool)] {
        recipients.flatMap { recipient -> [(String, Bool)] in
            switch recipient {
            case .submitter:
                return operators.first { $0.name == request.submittedBy }?.email.map { [($0, false)] } ?? []
            case .approvers:
                return operators.filter { record in
                    !record.disabled && record.name != request.submittedBy && !Set(record.roles).isDisjoint(with: [.admin, .approver])
                        && (record.tenants.isEmpty || record.tenants.contains(request.tenant))
                        && !request.approvals.contains { $0.operator_ == record.name }
                }.compactMap { record in record.email.map { ($0, false) } }
            case .manager:
                // In Microsoft 365 the user principal name is, nearly always, the primary address too.
                return request.snapshot.manager.map { [($0.userPrincipalName, true)] } ?? []
            case .contact: return contact.map { [($0, true)] } ?? []
            case .address(let address): return [(address, false)]
            }
        }
    }

    func make(
        _ entry: AuditEntry, _ request: OffboardingRequest, _ event: NotificationEvent, _ channel: NotificationDelivery.Channel,
        _ target: String
    ) -> NotificationDelivery {
        let digest = SHA256.hash(data: Data("\(event.rawValue)\0\(target.lowercased())".utf8)).prefix(6).map {
            String(format: "%02x", $0)
        }.joined()
        return NotificationDelivery(
            id: "d-\(entry.sequence)-\(channel.rawValue)-\(digest)", sourceSequence: entry.sequence, tenant: request.tenant,
            offboarding: request.id, event: event, channel: channel, target: target, createdAt: now())
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
