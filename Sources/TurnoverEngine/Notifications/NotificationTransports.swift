public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
public import TurnoverCore

/// How notifications leave the service: SMTP and HTTP POST, as a struct of closures so the dispatcher's
/// retry and recording logic can be tested on its own. The live ones speak to real servers.
public struct NotificationTransports: Sendable {
    /// What the other side said, and whether trying again can help.
    public struct Outcome: Sendable, Equatable {
        public var succeeded: Bool
        public var code: Int?
        public var detail: String
        public var permanent: Bool

        public init(succeeded: Bool, code: Int?, detail: String, permanent: Bool) {
            self.succeeded = succeeded
            self.code = code
            self.detail = detail
            self.permanent = permanent
        }
    }

    public var sendMail: @Sendable (MailMessage, Date) async -> Outcome
    public var post: @Sendable (URL, [(String, String)], Data) async -> Outcome
    /// Writes to the PSA ticket an offboarding came from.
    public var writeToTicket: @Sendable (TicketReference, PSAWriteBack) async -> Outcome

    public init(
        sendMail: @escaping @Sendable (MailMessage, Date) async -> Outcome,
        post: @escaping @Sendable (URL, [(String, String)], Data) async -> Outcome,
        writeToTicket: @escaping @Sendable (TicketReference, PSAWriteBack) async -> Outcome
    ) {
        self.sendMail = sendMail
        self.post = post
        self.writeToTicket = writeToTicket
    }

    /// - Parameters:
    ///   - smtp: nil when no SMTP server is configured: e-mail deliveries then fail with that
    ///     reason (recorded), rather than being dropped.
    ///   - psa: nil when this process writes to no PSA (such deliveries fail, recorded).
    public static func live(smtp: SMTPClient?, http: HTTPClient, psa: PSAWriter?) -> NotificationTransports {
        NotificationTransports(
            sendMail: { message, date in
                guard let smtp else {
                    return Outcome(
                        succeeded: false, code: nil, detail: "no SMTP server is configured (smtpHost); the e-mail was not sent",
                        permanent: true)
                }
                do throws(SMTPFailure) {
                    try await smtp.send(message, at: date)
                    return Outcome(succeeded: true, code: 250, detail: "accepted by \(smtp.settings.host)", permanent: false)
                } catch {
                    return Outcome(succeeded: false, code: error.code, detail: error.description, permanent: error.permanent)
                }
            },
            post: { url, headers, body in
                var request = HTTPClientRequest(url: url.absoluteString)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "User-Agent", value: "Turnover")
                for (name, value) in headers { request.headers.add(name: name, value: value) }
                request.body = .bytes(ByteBuffer(data: body))
                do {
                    // The whole attempt, connecting included: HTTPClient keeps retrying a refused
                    // connection until this deadline.
                    let response = try await http.execute(request, timeout: .seconds(10))
                    let text = String(buffer: try await response.body.collect(upTo: 4096))
                    let code = Int(response.status.code)
                    let succeeded = (200..<300).contains(code)
                    // A 4xx other than a timeout or throttling will not pass by itself.
                    let permanent = !succeeded && (400..<500).contains(code) && code != 408 && code != 429
                    return Outcome(
                        succeeded: succeeded, code: code, detail: "\(code) \(response.status.reasonPhrase) \(text.prefix(200))",
                        permanent: permanent)
                } catch {
                    return Outcome(succeeded: false, code: nil, detail: "\(url.host ?? url.absoluteString): \(error)", permanent: false)
                }
            },
            writeToTicket: { ticket, action in
                guard let psa else {
                    return Outcome(succeeded: false, code: nil, detail: "no PSA writer in this process", permanent: true)
                }
                return await psa.write(action, to: ticket)
            })
    }
}
