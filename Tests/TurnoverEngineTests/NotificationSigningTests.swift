import Foundation
import Testing
import TurnoverCore
import TurnoverEngine

@Suite("Webhook signatures and approval links")
struct NotificationSigningTests {
    let secrets = try! SecretBox(keyBytes: Data(repeating: 7, count: 32))
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a receiver's check accepts the signed body and refuses another body, another secret or an old timestamp")
    func webhookSignature() throws {
        let url = try #require(URL(string: "https://hooks.msp.example/turnover"))
        let secret = secrets.webhookSecret(for: url)
        #expect(secret.hasPrefix("whsec_"))
        #expect(secret != secrets.webhookSecret(for: try #require(URL(string: "https://hooks.msp.example/other"))))
        let body = Data(#"{"event":"completed"}"#.utf8)
        let header = WebhookSignature.value(secret: secret, timestamp: Int(now.timeIntervalSince1970), body: body)
        #expect(header.hasPrefix("t=1800000000,v1="))
        #expect(WebhookSignature.verify(header: header, secret: secret, body: body, now: now))
        #expect(!WebhookSignature.verify(header: header, secret: secret, body: Data(#"{"event":"failed"}"#.utf8), now: now))
        #expect(!WebhookSignature.verify(header: header, secret: "whsec_other", body: body, now: now))
        #expect(!WebhookSignature.verify(header: header, secret: secret, body: body, now: now.addingTimeInterval(301)))
    }

    @Test("an approval link is valid for its offboarding until it expires, and not once altered")
    func approvalLink() {
        let token = secrets.approvalLinkToken(for: "o-1", expires: now.addingTimeInterval(3600))
        #expect(secrets.approvalLinkIsValid(token, for: "o-1", now: now))
        #expect(!secrets.approvalLinkIsValid(token, for: "o-2", now: now))
        #expect(!secrets.approvalLinkIsValid(token, for: "o-1", now: now.addingTimeInterval(3601)))
        let altered = String(token.dropLast()) + (token.hasSuffix("0") ? "1" : "0")
        #expect(!secrets.approvalLinkIsValid(altered, for: "o-1", now: now))
        // A later expiry cannot be written in: the signature covers it.
        let extended = "\(Int(now.timeIntervalSince1970) + 999_999)." + token.split(separator: ".")[1]
        #expect(!secrets.approvalLinkIsValid(extended, for: "o-1", now: now))
    }

    @Test("SMTP without TLS is refused to anything but this machine, before any connection")
    func plainSMTPRefused() async {
        let client = SMTPClient(
            settings: .init(
                host: "smtp.msp.example", port: 25, security: .none, username: nil, password: nil, from: "turnover@msp.example", caFile: nil
            ))
        do {
            try await client.send(
                MailMessage(to: "a@b.example", subject: "s", text: "t", html: "h", messageID: "m@turnover"), at: now)
            Issue.record("plain SMTP to another host must be refused")
        } catch {
            #expect(error.permanent && error.description.contains("only to a relay on this machine"))
        }
    }
}
