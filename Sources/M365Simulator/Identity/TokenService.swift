import Crypto
import Foundation
import SwiftASN1
import Synchronization
import X509
import _CryptoExtras

/// The resource an access token is for; each has its own audience and permission set.
enum TokenResource: String, Sendable, Codable {
    case graph, exchange, sharePoint

    /// Maps a `scope` (`https://graph.microsoft.com/.default`) to a resource and its audience.
    static func from(scope: String, tenantSlug: String) -> (TokenResource, audience: String)? {
        guard scope.hasSuffix("/.default") else { return nil }
        let resource = String(scope.dropLast("/.default".count)).lowercased()
        switch resource {
        case "https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000", "https://graph.microsoft.us",
            "https://dod-graph.microsoft.us", "https://microsoftgraph.chinacloudapi.cn":
            return (.graph, resource.hasPrefix("http") ? resource : "https://graph.microsoft.com")
        case "https://outlook.office365.com", "00000002-0000-0ff1-ce00-000000000000", "https://outlook.office365.us",
            "https://webmail.apps.mil", "https://partner.outlook.cn":
            return (.exchange, resource.hasPrefix("http") ? resource : "https://outlook.office365.com")
        default:
            let host = resource.replacingOccurrences(of: "https://", with: "")
            if host == "\(tenantSlug)-my.sharepoint.com" || host == "\(tenantSlug).sharepoint.com"
                || host == "\(tenantSlug)-admin.sharepoint.com"
            {
                return (.sharePoint, resource)
            }
            return nil
        }
    }
}

/// How the app proved its identity; SharePoint accepts only certificates.
enum ClientCredentialKind: String, Sendable, Codable {
    case secret = "1"
    case certificate = "2"
}

/// Claims the simulator reads back from a validated access token.
struct AccessTokenClaims: Sendable {
    let tenantId: String
    let clientId: String
    let servicePrincipalId: String
    let audience: String
    let resource: TokenResource
    let roles: [String]
    let credential: ClientCredentialKind
    let issuedAt: Date
    let expiresAt: Date
    /// The token's unique id (`uti`), so that tokens can be expired one by one.
    let tokenId: String
}

/// Issues and validates RS256 access tokens shaped like Entra's v1 app-only tokens.
final class TokenService: Sendable {
    private let signingKey: _RSA.Signing.PrivateKey
    let keyId: String
    private let cache = Mutex<[String: AccessTokenClaims]>([:])
    /// Token ids issued since the last forced expiry, and those forced to expire.
    private let issuedIds = Mutex<(live: Set<String>, expired: Set<String>)>(([], []))

    init() throws {
        signingKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        keyId = Base64URL.encode(Array(Insecure.SHA1.hash(data: signingKey.publicKey.derRepresentation)))
    }

    func issue(
        tenantId: String, app: AppRegistration, resource: TokenResource, audience: String, credential: ClientCredentialKind,
        now: Date, lifetime: Duration
    ) throws -> String {
        let issuedAt = Int64(now.timeIntervalSince1970)
        let tokenId = UUID().uuidString
        issuedIds.withLock { _ = $0.live.insert(tokenId) }
        let roles: [String]
        switch resource {
        case .graph: roles = app.graphPermissions
        case .exchange: roles = app.exchangePermissions
        case .sharePoint: roles = app.sharePointPermissions
        }
        let header: JSONValue = ["typ": "JWT", "alg": "RS256", "x5t": .string(keyId), "kid": .string(keyId)]
        var claims: JSONObject = JSONObject([
            ("aud", .string(audience)),
            ("iss", .string("https://sts.windows.net/\(tenantId)/")),
            ("iat", .int(issuedAt)),
            ("nbf", .int(issuedAt)),
            ("exp", .int(issuedAt + Int64(lifetime.seconds))),
            ("app_displayname", .string(app.displayName)),
            ("appid", .string(app.clientId)),
            ("appidacr", .string(credential.rawValue)),
            ("idp", .string("https://sts.windows.net/\(tenantId)/")),
            ("idtyp", "app"),
            ("oid", .string(app.servicePrincipalId)),
            ("sub", .string(app.servicePrincipalId)),
            ("tid", .string(tenantId)),
            ("uti", .string(tokenId)),
            ("ver", "1.0"),
        ])
        if !roles.isEmpty { claims["roles"] = .strings(roles) }
        let signingInput = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(JSONValue.object(claims).serialized())
        let signature = try signingKey.signature(for: SHA256.hash(data: Array(signingInput.utf8)), padding: .insecurePKCS1v1_5)
        return signingInput + "." + Base64URL.encode(Array(signature.rawRepresentation))
    }

    enum ValidationFailure: Error, Equatable {
        case malformed, badSignature, expired, notYetValid
    }

    /// Validates signature and lifetime; audience and tenant are checked by each endpoint.
    func validate(_ token: String, now: Date) throws(ValidationFailure) -> AccessTokenClaims {
        if let claims = cache.withLock({ $0[token] }) {
            try checkLifetime(claims, now: now)
            return claims
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
            let signatureBytes = Base64URL.decode(parts[2]), let header = try? JSONValue.parse(headerBytes),
            let payload = try? JSONValue.parse(payloadBytes)
        else { throw .malformed }
        guard header["alg"]?.stringValue == "RS256" else { throw .badSignature }
        let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureBytes)
        guard signingKey.publicKey.isValidSignature(signature, for: SHA256.hash(data: signingInput), padding: .insecurePKCS1v1_5) else {
            throw .badSignature
        }
        guard let tenantId = payload["tid"]?.stringValue, let clientId = payload["appid"]?.stringValue,
            let oid = payload["oid"]?.stringValue, let audience = payload["aud"]?.stringValue,
            let issuedAt = payload["iat"]?.intValue, let expiresAt = payload["exp"]?.intValue
        else { throw .malformed }
        let resource: TokenResource
        if audience.contains("graph") {
            resource = .graph
        } else if audience.contains("sharepoint") {
            resource = .sharePoint
        } else {
            resource = .exchange
        }
        let claims = AccessTokenClaims(
            tenantId: tenantId, clientId: clientId, servicePrincipalId: oid, audience: audience, resource: resource,
            roles: payload["roles"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            credential: ClientCredentialKind(rawValue: payload["appidacr"]?.stringValue ?? "1") ?? .secret,
            issuedAt: Date(timeIntervalSince1970: TimeInterval(issuedAt)),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(expiresAt)), tokenId: payload["uti"]?.stringValue ?? "")
        try checkLifetime(claims, now: now)
        cache.withLock { cache in
            if cache.count > 50_000 { cache.removeAll(keepingCapacity: true) }
            cache[token] = claims
        }
        return claims
    }

    private func checkLifetime(_ claims: AccessTokenClaims, now: Date) throws(ValidationFailure) {
        if claims.expiresAt <= now || issuedIds.withLock({ $0.expired.contains(claims.tokenId) }) { throw .expired }
        if claims.issuedAt > now.addingTimeInterval(300) { throw .notYetValid }
    }

    /// Makes every token issued so far count as expired (for testing a client's refresh path).
    func expireIssuedTokens(now: Date) {
        // Every token issued so far expires now; tokens issued afterwards are valid.
        issuedIds.withLock { ids in
            ids.expired.formUnion(ids.live)
            ids.live.removeAll()
        }
    }

    /// The JSON Web Key Set that verifies issued tokens.
    func jwks() -> JSONValue {
        let publicKey = signingKey.publicKey
        let components = try? publicKey.getKeyPrimitives()
        return [
            "keys": [
                [
                    "kty": "RSA", "use": "sig", "kid": .string(keyId), "x5t": .string(keyId),
                    "n": .string(Base64URL.encode(Array(components?.modulus ?? Data()))),
                    "e": .string(Base64URL.encode(Array(components?.publicExponent ?? Data()))),
                ]
            ]
        ]
    }
}

/// Verifies a `client_assertion` JWT signed with an app's registered certificate.
enum ClientAssertion {
    enum Failure: Error {
        case malformed(String)
        case unknownCertificate
        case badSignature
        case claims(String)
        case lifetime
    }

    struct Verified {
        let clientId: String
    }

    /// Entra accepts thumbprints with and without base64 padding (msal sends them padded).
    static func unpadded(_ thumbprint: String) -> String {
        String(thumbprint.reversed().drop { $0 == "=" }.reversed())
    }

    /// Accepts RS256 with `x5t` (SHA-1 thumbprint) and PS256 with `x5t#S256` (SHA-256 thumbprint).
    static func verify(
        _ assertion: String, apps: [AppRegistration], tenantKeys: [String], expectedClientId: String?, now: Date
    ) throws(Failure) -> (AppRegistration, Verified) {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
            let signatureBytes = Base64URL.decode(parts[2]), let header = try? JSONValue.parse(headerBytes),
            let payload = try? JSONValue.parse(payloadBytes)
        else { throw .malformed("The client assertion is not a JWT.") }
        let algorithm = header["alg"]?.stringValue ?? ""
        let app: AppRegistration?
        switch algorithm {
        case "RS256":
            guard let thumbprint = header["x5t"]?.stringValue else { throw .malformed("The client assertion header has no x5t.") }
            app = apps.first { $0.certificate?.sha1Thumbprint == unpadded(thumbprint) }
        case "PS256":
            guard let thumbprint = header["x5t#S256"]?.stringValue else {
                throw .malformed("The client assertion header has no x5t#S256.")
            }
            app = apps.first { $0.certificate?.sha256Thumbprint == unpadded(thumbprint) }
        default:
            throw .malformed("The client assertion uses an unsupported algorithm '\(algorithm)'.")
        }
        guard let app, let certificate = app.certificate else { throw .unknownCertificate }
        guard let parsed = try? Certificate(pemEncoded: certificate.certificatePEM), let key = _RSA.Signing.PublicKey(parsed.publicKey)
        else {
            throw .unknownCertificate
        }
        let digest = SHA256.hash(data: Array("\(parts[0]).\(parts[1])".utf8))
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureBytes)
        let padding: _RSA.Signing.Padding = algorithm == "PS256" ? .PSS : .insecurePKCS1v1_5
        guard key.isValidSignature(signature, for: digest, padding: padding) else { throw .badSignature }

        guard let issuer = payload["iss"]?.stringValue, let subject = payload["sub"]?.stringValue,
            issuer.lowercased() == app.clientId.lowercased(), subject.lowercased() == app.clientId.lowercased()
        else { throw .claims("The iss and sub claims must both be the client id.") }
        if let expectedClientId, expectedClientId.lowercased() != app.clientId.lowercased() {
            throw .claims("The client_id does not match the assertion.")
        }
        let audiences: [String] = payload["aud"]?.arrayValue?.compactMap(\.stringValue) ?? [payload["aud"]?.stringValue].compactMap { $0 }
        let audienceMatches = audiences.contains { audience in
            let lowered = audience.lowercased()
            return tenantKeys.contains {
                lowered.hasSuffix("/\($0.lowercased())/oauth2/v2.0/token") || lowered.hasSuffix("/\($0.lowercased())/oauth2/token")
            }
        }
        guard audienceMatches else { throw .claims("The aud claim must be the tenant's token endpoint.") }
        guard let expiry = payload["exp"]?.doubleValue else { throw .claims("The exp claim is missing.") }
        let skew: TimeInterval = 300
        if Date(timeIntervalSince1970: expiry) < now.addingTimeInterval(-skew) { throw .lifetime }
        if let notBefore = payload["nbf"]?.doubleValue, Date(timeIntervalSince1970: notBefore) > now.addingTimeInterval(skew) {
            throw .lifetime
        }
        return (app, Verified(clientId: app.clientId))
    }
}
