import Crypto
public import Foundation

/// One entry of the audit log. Each entry carries the hash of the one before it, so an entry that is
/// edited, removed or moved breaks the chain from that point on.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var sequence: Int64
    /// Milliseconds since 1970, as hashed (a float would not hash the same on every platform).
    public var atMilliseconds: Int64
    public var actor: String
    public var action: String
    public var tenant: String?
    public var subject: String?
    public var detail: String
    public var previousHash: String
    public var hash: String

    public var at: Date { Date(timeIntervalSince1970: Double(atMilliseconds) / 1000) }
}

/// What is appended; the store gives it its sequence number and hashes.
public struct AuditEvent: Sendable, Equatable {
    public var actor: String
    public var action: String
    public var tenant: String?
    public var subject: String?
    public var detail: String
    public init(actor: String, action: String, tenant: String? = nil, subject: String? = nil, detail: String = "") {
        self.actor = actor
        self.action = action
        self.tenant = tenant
        self.subject = subject
        self.detail = detail
    }
}

/// The hash chain over the audit log.
public enum AuditChain {
    /// The "previous hash" of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    public static func entry(_ event: AuditEvent, sequence: Int64, at: Date, previousHash: String) -> AuditEntry {
        var entry = AuditEntry(
            sequence: sequence, atMilliseconds: Int64((at.timeIntervalSince1970 * 1000).rounded()), actor: event.actor,
            action: event.action, tenant: event.tenant, subject: event.subject, detail: event.detail, previousHash: previousHash, hash: "")
        entry.hash = hash(of: entry)
        return entry
    }

    /// SHA-256 over every field but the hash itself, each length-prefixed so no two entries read alike.
    public static func hash(of entry: AuditEntry) -> String {
        let fields = [
            String(entry.sequence), String(entry.atMilliseconds), entry.actor, entry.action, entry.tenant ?? "\u{0}",
            entry.subject ?? "\u{0}", entry.detail, entry.previousHash,
        ]
        var data = Data()
        for field in fields {
            let bytes = Data(field.utf8)
            data.append(contentsOf: "\(bytes.count):".utf8)
            data.append(bytes)
        }
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    public struct Verification: Sendable, Equatable {
        public var entries: Int64
        /// The first entry at which the chain breaks, and how.
        public var firstBad: (sequence: Int64, problem: String)?
        public var isIntact: Bool { firstBad == nil }

        public static func == (lhs: Verification, rhs: Verification) -> Bool {
            lhs.entries == rhs.entries && lhs.firstBad?.sequence == rhs.firstBad?.sequence && lhs.firstBad?.problem == rhs.firstBad?.problem
        }
    }

    /// Walks the entries in stored order and names the first that was edited, removed or reordered.
    public static func verify(_ entries: [AuditEntry]) -> Verification {
        var previousHash = genesis
        var expected: Int64 = 1
        for entry in entries {
            if entry.sequence != expected {
                let problem =
                    entry.sequence > expected
                    ? "entry \(expected)\(entry.sequence - expected > 1 ? " to \(entry.sequence - 1)" : "") is missing: removed"
                    : "entry \(entry.sequence) appears after entry \(expected - 1): reordered"
                return Verification(entries: Int64(entries.count), firstBad: (min(expected, entry.sequence), problem))
            }
            if hash(of: entry) != entry.hash {
                return Verification(
                    entries: Int64(entries.count),
                    firstBad: (entry.sequence, "entry \(entry.sequence) does not match its hash: edited, or swapped with another"))
            }
            if entry.previousHash != previousHash {
                return Verification(
                    entries: Int64(entries.count),
                    firstBad: (
                        entry.sequence, "entry \(entry.sequence) does not follow the entry before it: an entry was removed or reordered"
                    ))
            }
            previousHash = entry.hash
            expected += 1
        }
        return Verification(entries: Int64(entries.count), firstBad: nil)
    }
}
