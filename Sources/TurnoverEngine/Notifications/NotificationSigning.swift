import Crypto
public import Foundation
public import TurnoverCore

/// The HMAC-SHA256 signature on webhook deliveries.
///
/// Header: `Turnover-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. A
/// receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant
/// time, and refuses a timestamp more than five minutes old (a replay).
public enum WebhookSignature {
    public static let header = "Turnover-Signature"

    public static func value(secret: String, timestamp: Int, body: Data) -> String {
        "t=\(timestamp),v1=\(hex(secret: secret, timestamp: timestamp, body: body))"
    }

    static func hex(secret: String, timestamp: Int, body: Data) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// Checks a header against the body, as a receiver would (used by `turnover notify verify`).
    public static func verify(header: String, secret: String, body: Data, now: Date, tolerance: TimeInterval = 300) -> Bool {
        var timestamp: Int?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) } else if pair[0] == "v1" { signatures.append(pair[1]) }
        }
        guard let timestamp, abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        let expected = Array(hex(secret: secret, timestamp: timestamp, body: body).utf8)
        return signatures.contains { candidate in
            let given = Array(candidate.utf8)
            return given.count == expected.count && zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }
}

extension SecretBox {
    /// The secret a webhook receiver checks signatures with: derived per URL from the instance key, so
    /// every server on the same database signs alike and no secret is stored. `turnover notify
    /// secret --url …` prints it for the receiver's configuration.
    public func webhookSecret(for url: URL) -> String {
        "whsec_" + derivedKeyBytes(info: "turnover-webhook-secret\0\(url.absoluteString)").base64EncodedString()
    }

    /// Signs the link in an approval request: `<expiry unix seconds>.<hex HMAC>` over the
    /// offboarding id and the expiry.
    public func approvalLinkToken(for id: OffboardingID, expires: Date) -> String {
        let expiry = Int(expires.timeIntervalSince1970)
        let key = SymmetricKey(data: derivedKeyBytes(info: "turnover-approval-link"))
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(id.rawValue)\0\(expiry)".utf8), using: key)
        return "\(expiry).\(code.map { String(format: "%02x", $0) }.joined())"
    }

    /// Whether `token` is this instance's link for `id` and has not expired. It opens the page
    /// with a note; it never signs anyone in or approves anything.
    public func approvalLinkIsValid(_ token: String, for id: OffboardingID, now: Date) -> Bool {
        guard let expiry = token.split(separator: ".").first.flatMap({ Int($0) }), Double(expiry) > now.timeIntervalSince1970 else {
            return false
        }
        let expected = approvalLinkToken(for: id, expires: Date(timeIntervalSince1970: Double(expiry)))
        return Array(expected.utf8).count == Array(token.utf8).count
            && zip(expected.utf8, token.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
