import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Self-signed certificates for app credentials and for serving HTTPS.
enum SelfSignedCertificate {
    struct Generated {
        let certificatePEM: String
        let privateKeyPEM: String
        let der: [UInt8]
    }

    /// An RSA-2048 key and a self-signed certificate over it.
    static func generate(commonName: String, subjectAlternativeNames: [String] = [], now: Date) throws -> Generated {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        return try certificate(for: key, commonName: commonName, subjectAlternativeNames: subjectAlternativeNames, now: now)
    }

    static func certificate(
        for key: _RSA.Signing.PrivateKey, commonName: String, subjectAlternativeNames: [String], now: Date
    ) throws -> Generated {
        let name = try DistinguishedName { CommonName(commonName) }
        var extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            KeyUsage(digitalSignature: true, keyEncipherment: true)
        }
        if !subjectAlternativeNames.isEmpty {
            let names: [GeneralName] = subjectAlternativeNames.map { entry in
                if let address = IPv4Address(entry) { return .ipAddress(ASN1OctetString(contentBytes: address.bytes[...])) }
                return .dnsName(entry)
            }
            try extensions.append(Certificate.Extension(SubjectAlternativeNames(names), critical: false))
        }
        let certificateKey = Certificate.PrivateKey(key)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: certificateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-86_400),
            notValidAfter: now.addingTimeInterval(86_400 * 3_650),
            issuer: name,
            subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: extensions,
            issuerPrivateKey: certificateKey
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return Generated(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: key.pemRepresentation,
            der: serializer.serializedBytes
        )
    }

    /// The `x5t` and `x5t#S256` values for a certificate.
    static func thumbprints(der: [UInt8]) -> (sha1: String, sha256: String) {
        (Base64URL.encode(Array(Insecure.SHA1.hash(data: der))), Base64URL.encode(Array(SHA256.hash(data: der))))
    }

    static func appCertificate(from generated: Generated) -> AppCertificate {
        let prints = thumbprints(der: generated.der)
        return AppCertificate(
            certificatePEM: generated.certificatePEM, privateKeyPEM: generated.privateKeyPEM, sha1Thumbprint: prints.sha1,
            sha256Thumbprint: prints.sha256)
    }

    /// Rebuilds the credential record for a PEM certificate and key given in a fixture.
    static func appCertificate(certificatePEM: String, privateKeyPEM: String) throws -> AppCertificate {
        let certificate = try Certificate(pemEncoded: certificatePEM)
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        _ = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        let prints = thumbprints(der: serializer.serializedBytes)
        return AppCertificate(
            certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM, sha1Thumbprint: prints.sha1, sha256Thumbprint: prints.sha256)
    }
}

/// A dotted-quad IPv4 address, for certificate subject alternative names.
private struct IPv4Address {
    let bytes: [UInt8]
    init?(_ text: String) {
        let parts = text.split(separator: ".")
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        self.bytes = bytes
    }
}

enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
