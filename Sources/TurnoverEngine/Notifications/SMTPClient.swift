public import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// An e-mail as Turnover sends it: one recipient, a plain-text and an HTML alternative.
public struct MailMessage: Sendable, Equatable {
    public var to: String
    public var subject: String
    public var text: String
    public var html: String
    /// Identifies the message in the recipient's client and in the sink's log.
    public var messageID: String

    public init(to: String, subject: String, text: String, html: String, messageID: String) {
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
    }

    /// RFC 5322 with a MIME multipart/alternative body; both parts base64, so no line is too long and
    /// none starts with a dot.
    func rendered(from: String, at date: Date) -> String {
        let boundary = "turnover-" + UUID().uuidString.lowercased()
        func base64Lines(_ text: String) -> String {
            let encoded = Data(text.utf8).base64EncodedString()
            return stride(from: 0, to: encoded.count, by: 76).map { offset -> String in
                let start = encoded.index(encoded.startIndex, offsetBy: offset)
                let end = encoded.index(start, offsetBy: min(76, encoded.count - offset))
                return String(encoded[start..<end])
            }.joined(separator: "\r\n")
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let headers = [
            "From: Turnover <\(from)>",
            "To: <\(to)>",
            "Subject: \(Self.encodedHeader(subject))",
            "Date: \(formatter.string(from: date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + "--\(boundary)\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64Lines(text) + "\r\n"
            + "--\(boundary)\r\n" + "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64Lines(html) + "\r\n" + "--\(boundary)--\r\n"
    }

    /// RFC 2047: a subject with anything but printable ASCII travels as UTF-8 base64.
    static func encodedHeader(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value > 126 || $0.value < 32 }) else { return text }
        return "=?utf-8?B?\(Data(text.utf8).base64EncodedString())?="
    }
}

/// A failure to send, with whether trying again can help (SMTP 5xx and a refused login cannot).
public struct SMTPFailure: Error, Sendable, CustomStringConvertible {
    public var code: Int?
    public var permanent: Bool
    public var description: String
}

/// An SMTP client (RFC 5321) with STARTTLS (RFC 3207) or TLS from the start, and AUTH PLAIN or
/// LOGIN (RFC 4954). One connection per message: notifications are few, and a fresh connection
/// needs no keep-alive or reconnect logic.
public struct SMTPClient: Sendable {
    public enum Security: String, Sendable, Codable {
        /// Plain connection upgraded with STARTTLS; refused if the server does not offer it.
        case startTLS = "starttls"
        /// TLS from the first byte (port 465).
        case tls
        /// No encryption: only to a relay on this machine.
        case none
    }

    public struct Settings: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var security: Security
        public var username: String?
        public var password: String?
        public var from: String
        /// PEM file of the CA that signs the server's certificate, when it is not a public one.
        public var caFile: String?
        public var timeout: Duration

        public init(
            host: String, port: Int, security: Security, username: String?, password: String?, from: String, caFile: String?,
            timeout: Duration = .seconds(30)
        ) {
            self.host = host
            self.port = port
            self.security = security
            self.username = username
            self.password = password
            self.from = from
            self.caFile = caFile
            self.timeout = timeout
        }
    }

    public var settings: Settings
    public init(settings: Settings) { self.settings = settings }

    public func send(_ message: MailMessage, at date: Date) async throws(SMTPFailure) {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await converse(message, date: date) }
                group.addTask {
                    try await Task.sleep(for: settings.timeout)
                    throw SMTPFailure(
                        code: nil, permanent: false, description: "no answer from \(settings.host) within \(settings.timeout)")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let failure as SMTPFailure {
            throw failure
        } catch {
            throw SMTPFailure(code: nil, permanent: false, description: "\(settings.host):\(settings.port): \(error)")
        }
    }

    private func tlsHandler() throws -> NIOSSLClientHandler {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caFile {
            configuration.trustRoots = .file(caFile)
        }
        let context = try NIOSSLContext(configuration: configuration)
        return try NIOSSLClientHandler(context: context, serverHostname: settings.host)
    }

    private func converse(_ message: MailMessage, date: Date) async throws {
        let loopback = ["localhost", "127.0.0.1", "::1"].contains(settings.host.lowercased())
        if settings.security == .none && !loopback {
            throw SMTPFailure(
                code: nil, permanent: true,
                description: "SMTP without TLS is allowed only to a relay on this machine, not \(settings.host)")
        }
        let implicitTLS = settings.security == .tls
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS { try channel.pipeline.syncOperations.addHandler(try self.tlsHandler()) }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var conversation = Conversation(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            try await conversation.expect(220, after: "connecting")
            let name = ProcessInfo.processInfo.hostName.isEmpty ? "turnover" : ProcessInfo.processInfo.hostName
            var capabilities = try await conversation.command("EHLO \(name)", expect: 250).lines
            if settings.security == .startTLS {
                guard capabilities.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                    throw SMTPFailure(code: nil, permanent: true, description: "\(settings.host) does not offer STARTTLS; nothing was sent")
                }
                _ = try await conversation.command("STARTTLS", expect: 220)
                try await channel.channel.pipeline.addHandler(try tlsHandler(), position: .first).get()
                capabilities = try await conversation.command("EHLO \(name)", expect: 250).lines
            }
            if let username = settings.username, let password = settings.password {
                let auth = capabilities.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased() ?? ""
                if auth.contains("PLAIN") || !auth.contains("LOGIN") {
                    let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
                    _ = try await conversation.command("AUTH PLAIN \(token)", expect: 235, redacted: "AUTH PLAIN …")
                } else {
                    _ = try await conversation.command("AUTH LOGIN", expect: 334)
                    _ = try await conversation.command(Data(username.utf8).base64EncodedString(), expect: 334, redacted: "(user name)")
                    _ = try await conversation.command(Data(password.utf8).base64EncodedString(), expect: 235, redacted: "(password)")
                }
            }
            _ = try await conversation.command("MAIL FROM:<\(settings.from)>", expect: 250)
            _ = try await conversation.command("RCPT TO:<\(message.to)>", expect: 250)
            _ = try await conversation.command("DATA", expect: 354)
            // Dot-stuffing (RFC 5321 §4.5.2), then the end-of-data line.
            let body = message.rendered(from: settings.from, at: date).components(separatedBy: "\r\n").map {
                $0.hasPrefix(".") ? "." + $0 : $0
            }.joined(separator: "\r\n")
            _ = try await conversation.command(body + "\r\n.", expect: 250, redacted: "(message)")
            _ = try? await conversation.command("QUIT", expect: 221)
        }
    }

    /// Commands out, replies in: a reply is one or more `NNN-text` lines ending with `NNN text`.
    struct Conversation {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var pending = ""

        struct Reply {
            var code: Int
            var lines: [String]
        }

        mutating func readLine() async throws -> String {
            while true {
                if let end = pending.range(of: "\r\n") {
                    let line = String(pending[..<end.lowerBound])
                    pending.removeSubrange(..<end.upperBound)
                    return line
                }
                guard var buffer = try await inbound.next() else {
                    throw SMTPFailure(code: nil, permanent: false, description: "the server closed the connection")
                }
                pending += buffer.readString(length: buffer.readableBytes) ?? ""
            }
        }

        mutating func reply() async throws -> Reply {
            var lines: [String] = []
            while true {
                let line = try await readLine()
                guard line.count >= 3, let code = Int(line.prefix(3)) else {
                    throw SMTPFailure(code: nil, permanent: false, description: "not an SMTP reply: \(line.prefix(80))")
                }
                lines.append(String(line.dropFirst(4)))
                if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return Reply(code: code, lines: lines) }
            }
        }

        mutating func expect(_ code: Int, after what: String) async throws {
            let answer = try await reply()
            guard answer.code == code else {
                throw SMTPFailure(
                    code: answer.code, permanent: answer.code >= 500,
                    description: "\(what): \(answer.code) \(answer.lines.joined(separator: " "))")
            }
        }

        @discardableResult
        mutating func command(_ line: String, expect code: Int, redacted: String? = nil) async throws -> Reply {
            try await outbound.write(ByteBuffer(string: line + "\r\n"))
            let answer = try await reply()
            guard answer.code == code else {
                throw SMTPFailure(
                    code: answer.code, permanent: answer.code >= 500,
                    description: "\(redacted ?? line): \(answer.code) \(answer.lines.joined(separator: " "))")
            }
            return answer
        }
    }
}
