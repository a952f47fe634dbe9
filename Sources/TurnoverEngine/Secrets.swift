import Crypto
public import Foundation

/// Seals tenant credentials at rest with AES-GCM. The key is given (base64, 32 bytes) or read from a
/// key file created on first use with owner-only permissions.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(keyBytes: Data) throws {
        guard keyBytes.count == 32 else {
            throw Failure(description: "The secret key must be 32 bytes (base64-encoded in TURNOVER_SECRET_KEY or the key file).")
        }
        key = SymmetricKey(data: keyBytes)
    }

    /// Loads `encodedKey` (from `TURNOVER_SECRET_KEY`, read by the executable) or the key in
    /// `keyFile`, creating the file if neither exists.
    public static func load(keyFile: String, encodedKey: String? = nil) throws -> SecretBox {
        if let encoded = encodedKey {
            guard let bytes = Data(base64Encoded: encoded.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw Failure(description: "TURNOVER_SECRET_KEY is not base64.")
            }
            return try SecretBox(keyBytes: bytes)
        }
        let manager = FileManager.default
        if let text = manager.contents(atPath: keyFile) {
            guard let bytes = Data(base64Encoded: String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            else {
                throw Failure(description: "The key file \(keyFile) is not base64.")
            }
            return try SecretBox(keyBytes: bytes)
        }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        guard manager.createFile(atPath: keyFile, contents: Data(bytes.base64EncodedString().utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw Failure(description: "Cannot create the key file \(keyFile).")
        }
        return try SecretBox(keyBytes: bytes)
    }

    /// 32 bytes derived from the sealing key for another use (HKDF-SHA256), so one key stays the
    /// only secret an instance keeps.
    func derivedKeyBytes(info: String) -> Data {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data(info.utf8), outputByteCount: 32).withUnsafeBytes { Data($0) }
    }

    public func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw Failure(description: "AES-GCM produced no output") }
        return combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw Failure(description: "A sealed secret is damaged.") }
        do {
            return String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key), as: UTF8.self)
        } catch {
            throw Failure(description: "A stored secret cannot be opened with this key (was the key file or TURNOVER_SECRET_KEY changed?).")
        }
    }
}
