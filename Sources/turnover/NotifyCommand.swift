import ArgumentParser
import Foundation
import TurnoverCore
import TurnoverEngine
import TurnoverStore

struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Notifications: the webhook signing secret, and what was sent for an offboarding.",
        subcommands: [NotifySecretCommand.self, NotifyListCommand.self])
}

struct NotifySecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Print the secret a webhook receiver checks Turnover-Signature with (derived from the instance key, per URL).",
        discussion: """
            Turnover-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>. Recompute it over the \
            timestamp, a dot and the body exactly as received, compare in constant time, and refuse a timestamp more than \
            five minutes old. Turnover-Delivery names the delivery: a retry carries the same one.
            """)
    @OptionGroup var data: DataOptions
    @Option(help: "The webhook URL exactly as the policy names it.") var url: String

    func run() async throws {
        guard case .success(let address) = WebhookAddress.check(url) else {
            throw CLIError("'\(url)' is not a webhook address Turnover would post to (https, or http to localhost).")
        }
        try await data.withWorkspace { output($0.secrets.webhookSecret(for: address)) }
    }
}

struct NotifyListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the notifications of an offboarding (or the latest), with every attempt.")
    @OptionGroup var data: DataOptions
    @Argument(help: "The offboarding's id (o-…); every offboarding when absent.") var id: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await data.withWorkspace { workspace in
            let deliveries = try await workspace.store.deliveries(offboarding: id.map { OffboardingID($0) }, limit: 500)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                output(String(decoding: try encoder.encode(deliveries), as: UTF8.self))
                return
            }
            if deliveries.isEmpty { output("No notifications.") }
            for delivery in deliveries {
                output(
                    "\(delivery.offboarding)  \(delivery.event.rawValue)  \(delivery.channel.rawValue) → \(delivery.target): \(delivery.status.rawValue)"
                )
                for attempt in delivery.attempts {
                    output(
                        "    \(ISO8601DateFormatter().string(from: attempt.at))  \(attempt.succeeded ? "ok" : "failed")  \(attempt.detail)")
                }
            }
        }
    }
}
