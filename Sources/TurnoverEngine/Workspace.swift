public import Foundation
public import MicrosoftGraph
public import TurnoverCore
public import TurnoverStore

/// The data directory: the SQLite store, the key that seals tenant secrets, and the tenants in it.
public struct Workspace: Sendable {
    public let directory: URL
    public let store: any TurnoverStore
    public let secrets: SecretBox

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Opens (creating it if needed) the data directory at `path`.
    /// - Parameters:
    ///   - secretKey: the base64 key from the environment, which takes the place of the key file.
    ///   - database: a PostgreSQL URL to keep the store in instead of the directory's SQLite file
    ///     (several `turnover serve` processes share one; they must share the secret key too).
    public static func open(_ path: String, secretKey: String? = nil, database: String? = nil) async throws -> Workspace {
        let directory = URL(fileURLWithPath: path, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let secrets = try SecretBox.load(keyFile: directory.appendingPathComponent("secret.key").path, encodedKey: secretKey)
        let store: any TurnoverStore
        if let database, !database.isEmpty {
            store = try await PostgresStore.open(url: database)
        } else {
            store = try await SQLiteStore.open(path: directory.appendingPathComponent("turnover.sqlite").path)
        }
        return Workspace(directory: directory, store: store, secrets: secrets)
    }

    public func connection(for tenant: StoredTenant) throws -> TenantConnection {
        let credential: ClientCredential
        if let sealed = tenant.sealedCertificate {
            let pem = try secrets.open(sealed)
            guard let certificate = Self.block(pem, "CERTIFICATE"), let key = Self.privateKeyBlock(pem) else {
                throw Failure(description: "The stored certificate for \(tenant.name) has no certificate or private key.")
            }
            credential = .certificate(certificatePEM: certificate, privateKeyPEM: key)
        } else if let sealed = tenant.sealedSecret {
            credential = .secret(try secrets.open(sealed))
        } else {
            throw Failure(description: "Tenant \(tenant.name) has no credential.")
        }
        let cloud: Cloud
        if tenant.cloud == "simulator", let url = tenant.simulatorURL.flatMap(URL.init(string:)) {
            cloud = .simulator(url)
        } else if let named = Cloud(name: tenant.cloud) {
            cloud = named
        } else {
            throw Failure(description: "Unknown cloud '\(tenant.cloud)' for \(tenant.name).")
        }
        return TenantConnection(
            name: tenant.name, tenantId: tenant.tenantId, clientId: tenant.clientId, credential: credential, cloud: cloud)
    }

    public func policy(for tenant: StoredTenant) throws -> Policy {
        if let yaml = tenant.policyYAML {
            do { return try Policy.parse(yaml: yaml) } catch {
                throw Failure(description: "The policy stored for \(tenant.name):\n\(error)")
            }
        }
        return Policy()
    }

    static func block(_ pem: String, _ label: String) -> String? {
        guard let start = pem.range(of: "-----BEGIN \(label)-----"),
            let end = pem.range(of: "-----END \(label)-----", range: start.upperBound..<pem.endIndex)
        else { return nil }
        return String(pem[start.lowerBound..<end.upperBound])
    }

    static func privateKeyBlock(_ pem: String) -> String? {
        block(pem, "RSA PRIVATE KEY") ?? block(pem, "PRIVATE KEY")
    }
}
