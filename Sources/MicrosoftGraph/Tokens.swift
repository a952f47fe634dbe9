import Crypto
public import Foundation
public import Logging
import _CryptoExtras

/// How an app proves who it is to Entra.
public enum ClientCredential: Sendable {
    case secret(String)
    /// A certificate registered on the app and its private key, both PEM. Turnover signs a JWT client
    /// assertion with PS256 and `x5t#S256`, as Microsoft recommends.
    case certificate(certificatePEM: String, privateKeyPEM: String)
}

/// The tenant and app a client acts for.
public struct TenantConnection: Sendable {
    public var name: String
    public var tenantId: String
    public var clientId: String
    public var credential: ClientCredential
    public var cloud: Cloud

    public init(name: String, tenantId: String, clientId: String, credential: ClientCredential, cloud: Cloud) {
        self.name = name
        self.tenantId = tenantId
        self.clientId = clientId
        self.credential = credential
        self.cloud = cloud
    }
}

public struct AccessToken: Sendable {
    public var value: String
    public var expiresAt: Date
}

/// Client-credentials tokens for one tenant, one per resource scope, cached until shortly before
/// expiry. Concurrent callers share one request (no stampede).
actor TokenProvider {
    private let connection: TenantConnection
    private let transport: HTTPTransport
    private let clock: ClientClock
    private let logger: Logger
    private var cached: [String: AccessToken] = [:]
    private var inFlight: [String: Task<AccessToken, any Error>] = [:]
    /// Refresh this long before expiry, so a token never expires in the middle of a request.
    private let refreshMargin: TimeInterval = 300
    private(set) var tokenRequests = 0

    init(connection: TenantConnection, transport: HTTPTransport, clock: ClientClock, logger: Logger) {
        self.connection = connection
        self.transport = transport
        self.clock = clock
        self.logger = logger
    }

    func token(scope: String) async throws -> AccessToken {
        if let token = cached[scope], token.expiresAt.timeIntervalSince(clock.now()) > min(refreshMargin, lifetimeMargin(token)) {
            return token
        }
        if let running = inFlight[scope] { return try await running.value }
        let task = Task { try await self.fetch(scope: scope) }
        inFlight[scope] = task
        defer { inFlight[scope] = nil }
        let token = try await task.value
        cached[scope] = token
        return token
    }

    /// Drops a token Microsoft rejected (401), so the next call fetches a fresh one.
    func invalidate(scope: String, token: String) {
        if cached[scope]?.value == token { cached[scope] = nil }
    }

    private func lifetimeMargin(_ token: AccessToken) -> TimeInterval { 30 }

    private func fetch(scope: String) async throws -> AccessToken {
        let endpoint = "\(connection.cloud.authority)/\(connection.tenantId)/oauth2/v2.0/token"
        var attempt = 0
        while true {
            attempt += 1
            var form = [
                ("grant_type", "client_credentials"), ("client_id", connection.clientId), ("scope", scope),
            ]
            switch connection.credential {
            case .secret(let secret):
                form.append(("client_secret", secret))
            case .certificate(let certificatePEM, let privateKeyPEM):
                let assertion = try ClientAssertion.make(
                    clientId: connection.clientId, audience: endpoint, certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM,
                    now: clock.now())
                form.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
                form.append(("client_assertion", assertion))
            }
            let body = form.map { "\($0.0)=\(FormEncoding.encode($0.1))" }.joined(separator: "&")
            tokenRequests += 1
            let response: HTTPExchangeResponse
            do {
                response = try await transport.execute(
                    HTTPExchangeRequest(
                        method: "POST", url: endpoint, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                        body: Data(body.utf8)))
            } catch {
                // Asking for a token twice is harmless, so connection failures are simply retried.
                if attempt >= 5 { throw error }
                try await clock.sleep(.milliseconds(200 << attempt))
                continue
            }
            if response.status == 200, let json = JSONValue.parse(response.body), let value = json["access_token"]?.string {
                let lifetime = json["expires_in"]?.number ?? Double(json["expires_in"]?.string ?? "") ?? 3_599
                logger.debug("token issued", metadata: ["tenant": "\(connection.name)", "scope": "\(scope)"])
                return AccessToken(value: value, expiresAt: clock.now().addingTimeInterval(lifetime))
            }
            if [429, 500, 502, 503, 504].contains(response.status), attempt < 5 {
                let retryAfter = response.header("Retry-After").flatMap(Double.init) ?? Double(1 << attempt) * 0.2
                try await clock.sleep(.milliseconds(Int(retryAfter * 1_000)))
                continue
            }
            throw MicrosoftAPIError.decode(
                service: .token, status: response.status, headers: response.headers, body: response.body,
                operation: "POST /oauth2/v2.0/token")
        }
    }
}

/// The signed JWT a certificate-based app sends instead of a secret.
enum ClientAssertion {
    struct InvalidKey: Error, CustomStringConvertible {
        var description: String
    }

    static func make(clientId: String, audience: String, certificatePEM: String, privateKeyPEM: String, now: Date) throws -> String {
        guard let der = PEM.firstBlock(in: certificatePEM, label: "CERTIFICATE") else {
            throw InvalidKey(description: "The certificate is not a PEM certificate.")
        }
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw InvalidKey(description: "The private key is not an RSA key in PEM form: \(error)")
        }
        let header: JSONValue = ["alg": "PS256", "typ": "JWT", "x5t#S256": .string(Base64URL.encode(Data(SHA256.hash(data: der))))]
        let issued = Int(now.timeIntervalSince1970)
        let payload: JSONValue = [
            "aud": .string(audience), "iss": .string(clientId), "sub": .string(clientId), "jti": .string(UUID().uuidString),
            "nbf": .number(Double(issued)), "iat": .number(Double(issued)), "exp": .number(Double(issued + 600)),
        ]
        let signingInput = Base64URL.encode(header.encoded()) + "." + Base64URL.encode(payload.encoded())
        let signature = try key.signature(for: SHA256.hash(data: Data(signingInput.utf8)), padding: .PSS)
        return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
    }
}

enum PEM {
    static func firstBlock(in text: String, label: String) -> Data? {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) else { return nil }
        let base64 = text[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(base64))
    }
}

enum Base64URL {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

enum FormEncoding {
    static let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
    static func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text }
}
