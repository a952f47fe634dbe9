public import Foundation

/// One notification to one recipient over one channel, as stored: what is sent (fixed when it was
/// routed, so a retry sends the same bytes), and every attempt with its outcome.
public struct NotificationDelivery: Codable, Sendable, Equatable {
    public enum Channel: String, Codable, Sendable {
        case email
        case webhook
        case teams
        /// The PSA ticket the offboarding came from; `body` is a `PSAWriteBack`.
        case psa
    }

    public enum Status: String, Codable, Sendable {
        case pending
        case delivered
        /// Every attempt failed, or the failure cannot pass with time (a refused address).
        case failed
    }

    public struct Attempt: Codable, Sendable, Equatable {
        public var at: Date
        public var succeeded: Bool
        /// The HTTP status or SMTP reply code, when the other side answered.
        public var code: Int?
        public var detail: String

        public init(at: Date, succeeded: Bool, code: Int?, detail: String) {
            self.at = at
            self.succeeded = succeeded
            self.code = code
            self.detail = detail
        }
    }

    /// `d-{audit sequence}-{channel}-{hash of the target}`: the same event never reaches the same
    /// target twice, however many servers route it.
    public var id: String
    /// The audit entry the event came from.
    public var sourceSequence: Int64
    public var tenant: String
    public var offboarding: OffboardingID
    public var event: NotificationEvent
    public var channel: Channel
    /// The e-mail address or the URL.
    public var target: String
    public var status: Status
    public var attempts: [Attempt]
    public var nextAttemptAt: Date?
    public var createdAt: Date
    /// For e-mail.
    public var subject: String?
    public var text: String?
    public var html: String?
    /// For webhooks and Teams: the JSON body.
    public var body: String?

    public init(
        id: String, sourceSequence: Int64, tenant: String, offboarding: OffboardingID, event: NotificationEvent, channel: Channel,
        target: String, createdAt: Date
    ) {
        self.id = id
        self.sourceSequence = sourceSequence
        self.tenant = tenant
        self.offboarding = offboarding
        self.event = event
        self.channel = channel
        self.target = target
        status = .pending
        attempts = []
        nextAttemptAt = createdAt
        self.createdAt = createdAt
    }

    /// The waits between attempts: about 10 s, 40 s, 2.5 min, 10 min, 40 min, then it is failed.
    public static let backoff: [TimeInterval] = [10, 40, 160, 640, 2_560]

    /// Records an attempt, and when the next comes (none after success, a permanent refusal, or
    /// the last retry).
    public mutating func record(_ attempt: Attempt, permanent: Bool, backoffScale: Double = 1) {
        attempts.append(attempt)
        if attempt.succeeded {
            status = .delivered
            nextAttemptAt = nil
        } else if permanent || attempts.count > Self.backoff.count {
            status = .failed
            nextAttemptAt = nil
        } else {
            nextAttemptAt = attempt.at.addingTimeInterval(Self.backoff[attempts.count - 1] * backoffScale)
        }
    }
}

/// What a webhook receives: the event, the offboarding, and the same content the e-mail shows.
public struct WebhookPayload: Codable, Sendable, Equatable {
    public var id: String
    public var event: NotificationEvent
    public var occurredAt: Date
    public var tenant: String
    public var offboarding: String
    public var leaver: PersonRef
    public var headline: String
    public var facts: [String: String]
    public var lines: [String]
    public var keeping: [String]
    public var link: String?

    public init(delivery id: String, occurredAt: Date, content: NotificationContent) {
        self.id = id
        event = content.event
        self.occurredAt = occurredAt
        tenant = content.tenant
        offboarding = content.offboarding.rawValue
        leaver = content.leaver
        headline = content.headline
        facts = Dictionary(content.facts.map { ($0.label, $0.value) }, uniquingKeysWith: { first, _ in first })
        lines = content.lines
        keeping = content.keeping
        link = content.link
    }
}

/// The message a Teams Workflows webhook ("When a Teams webhook request is received", then "Post
/// card in a chat or channel") takes: one Adaptive Card attachment.
public struct TeamsMessage: Codable, Sendable, Equatable {
    public var type = "message"
    public var attachments: [Attachment]

    public struct Attachment: Codable, Sendable, Equatable {
        public var contentType = "application/vnd.microsoft.card.adaptive"
        public var content: AdaptiveCard
    }

    public struct AdaptiveCard: Codable, Sendable, Equatable {
        public var schema = "http://adaptivecards.io/schemas/adaptive-card.json"
        public var type = "AdaptiveCard"
        /// 1.4: what Teams renders on every client.
        public var version = "1.4"
        public var body: [Element]
        public var actions: [Action]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema"
            case type, version, body, actions
        }
    }

    /// The two card elements used: a TextBlock and a FactSet.
    public struct Element: Codable, Sendable, Equatable {
        public var type: String
        public var text: String?
        public var weight: String?
        public var size: String?
        public var wrap: Bool?
        public var color: String?
        public var facts: [Fact]?

        static func text(_ text: String, weight: String? = nil, size: String? = nil, color: String? = nil) -> Element {
            Element(type: "TextBlock", text: text, weight: weight, size: size, wrap: true, color: color, facts: nil)
        }
    }

    public struct Fact: Codable, Sendable, Equatable {
        public var title: String
        public var value: String
    }

    public struct Action: Codable, Sendable, Equatable {
        public var type = "Action.OpenUrl"
        public var title: String
        public var url: String
    }

    public init(content: NotificationContent) {
        var body: [Element] = [
            .text(
                content.headline, weight: "Bolder", size: "Medium",
                color: [.failed, .partial, .scheduleMissed, .expired].contains(content.event) ? "Attention" : nil),
            Element(
                type: "FactSet", text: nil, weight: nil, size: nil, wrap: nil, color: nil,
                facts: content.facts.map { Fact(title: $0.label, value: $0.value) }),
        ]
        body += content.lines.map { Element.text($0) }
        if !content.keeping.isEmpty {
            body.append(.text("Who keeps what", weight: "Bolder"))
            body += content.keeping.map { Element.text("• \($0)") }
        }
        let actions = content.link.map { [Action(title: content.event == .approvalNeeded ? "Review and approve" : "Open", url: $0)] } ?? []
        attachments = [Attachment(content: AdaptiveCard(body: body, actions: actions))]
    }
}
