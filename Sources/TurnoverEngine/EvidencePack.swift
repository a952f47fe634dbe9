public import Crypto
public import Foundation
public import TurnoverCore
public import TurnoverStore

/// One file that proves what a run did, for an auditor or a ticket: a ZIP of the before-state, the
/// plan, the approvals with who gave them, every step with its Microsoft request-ids, the state each
/// step verified after acting, the exceptions, the report, and the slice of the audit chain that
/// covers the run; and a manifest of SHA-256 hashes signed with the instance's Ed25519 key.
/// ``verify(_:trusting:)`` names what was altered, removed or added.
public enum EvidencePack {
    public static let format = "turnover-evidence/1"

    public struct Manifest: Codable, Sendable, Equatable {
        public var format: String
        public var offboarding: String?
        public var run: String
        public var tenant: String
        public var user: String
        public var createdAt: Date
        /// The signer's Ed25519 public key, base64 of its 32 raw bytes.
        public var signer: String
        public var files: [File]

        public struct File: Codable, Sendable, Equatable {
            public var path: String
            public var sha256: String
            public var bytes: Int
        }
    }

    /// What a pack is made of, read from the store by whoever exports it.
    public struct Contents: Sendable {
        public var run: RunRecord
        public var request: OffboardingRequest?
        /// The audit log, or any stretch of it that covers the run.
        public var audit: [AuditEntry]
        public var reportHTML: String

        public init(run: RunRecord, request: OffboardingRequest?, audit: [AuditEntry], reportHTML: String) {
            self.run = run
            self.request = request
            self.audit = audit
            self.reportHTML = reportHTML
        }
    }

    public static func make(_ contents: Contents, signingKey: Curve25519.Signing.PrivateKey, at now: Date) throws -> Data {
        let run = contents.run
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        func json(_ value: some Encodable) throws -> Data { try encoder.encode(value) }

        struct StepBefore: Encodable {
            var step: String
            var kind: String
            var before: String?
            var beforeState: StepValue?
        }
        struct StepAfter: Encodable {
            var step: String
            var kind: String
            var status: String
            var after: String?
            var verifiedAt: Date?
        }
        struct Exception: Encodable {
            var step: String
            var title: String
            var status: String
            var reason: String?
            var error: RecordedError?
        }
        struct Approvals: Encodable {
            var submittedBy: String?
            var submittedAt: Date?
            var planHash: String?
            var quorum: Int?
            var approvals: [OffboardingRequest.Decision]
            var rejection: OffboardingRequest.Decision?
            var cancellation: OffboardingRequest.Decision?
            var notes: [String]
        }
        struct BeforeState: Encodable {
            var note = "The leaver's state as read before the run, and what each step recorded before it acted."
            var snapshot: LeaverSnapshot
            var steps: [StepBefore]
        }
        struct AfterState: Encodable {
            var note = "What each step verified on live state right after acting (or found already so)."
            var steps: [StepAfter]
        }

        let request = contents.request
        let slice = auditSlice(contents.audit, subjects: Set([run.id.rawValue] + (run.offboarding.map { [$0.rawValue] } ?? [])))
        let files: [(String, Data)] = [
            (
                "before-state.json",
                try json(
                    BeforeState(
                        snapshot: run.snapshot,
                        steps: run.steps.map {
                            StepBefore(step: $0.id.rawValue, kind: $0.kind.rawValue, before: $0.before, beforeState: $0.beforeState)
                        }
                    ))
            ),
            ("plan.json", try json(run.plan)),
            (
                "approvals.json",
                try json(
                    Approvals(
                        submittedBy: request?.submittedBy.rawValue ?? run.operator_, submittedAt: request?.submittedAt ?? run.createdAt,
                        planHash: request?.planHash, quorum: request?.quorum, approvals: request?.approvals ?? run.approvals ?? [],
                        rejection: request?.rejection, cancellation: request?.cancellation, notes: request?.notes ?? []))
            ),
            ("steps.json", try json(run.steps)),
            (
                "after-state.json",
                try json(
                    AfterState(
                        steps: run.steps.map {
                            StepAfter(
                                step: $0.id.rawValue, kind: $0.kind.rawValue, status: $0.status.rawValue, after: $0.after,
                                verifiedAt: $0.finishedAt)
                        }))
            ),
            (
                "exceptions.json",
                try json(
                    run.steps.filter { $0.status != .succeeded }.map {
                        Exception(step: $0.id.rawValue, title: $0.title, status: $0.status.rawValue, reason: $0.reason, error: $0.error)
                    })
            ),
            ("report.html", Data(contents.reportHTML.utf8)),
            ("report.md", Data(Report.markdown(run).utf8)),
            ("audit.json", try json(slice)),
        ]
        let manifest = Manifest(
            format: format, offboarding: run.offboarding?.rawValue, run: run.id.rawValue, tenant: run.tenant,
            user: run.user.userPrincipalName,
            createdAt: now, signer: signingKey.publicKey.rawRepresentation.base64EncodedString(),
            files: files.map { Manifest.File(path: $0.0, sha256: sha256($0.1), bytes: $0.1.count) })
        let manifestData = try json(manifest)
        let signature = try signingKey.signature(for: manifestData)
        return StoredZip.archive(
            files.map { (name: $0.0, data: $0.1) } + [
                (name: "manifest.json", data: manifestData), (name: "manifest.sig", data: Data(signature.base64EncodedString().utf8)),
            ], modified: now)
    }

    /// The stretch of the audit log from the first entry about the run to the last, unbroken, so
    /// its hash links can be checked on their own.
    static func auditSlice(_ entries: [AuditEntry], subjects: Set<String>) -> [AuditEntry] {
        let sorted = entries.sorted { $0.sequence < $1.sequence }
        guard let first = sorted.firstIndex(where: { $0.subject.map(subjects.contains) ?? false }),
            let last = sorted.lastIndex(where: { $0.subject.map(subjects.contains) ?? false })
        else { return [] }
        return Array(sorted[first...last])
    }

    public struct Verification: Sendable {
        /// What is wrong, one sentence each; empty when the pack is intact.
        public var problems: [String]
        public var manifest: Manifest?
        public var signerFingerprint: String?
        public var isIntact: Bool { problems.isEmpty }
    }

    /// Checks the signature, every file's hash, that no file is missing or added, and the audit
    /// slice's hash chain. With `trusted`, the signer must be that key (a pack re-signed by anyone
    /// else is refused).
    public static func verify(_ archive: Data, trusting trusted: Curve25519.Signing.PublicKey?) -> Verification {
        var problems: [String] = []
        let entries: [StoredZip.Entry]
        do {
            entries = try StoredZip.entries(of: archive)
        } catch {
            return Verification(problems: ["The file is not a readable evidence pack: \(error)."], manifest: nil, signerFingerprint: nil)
        }
        var byName: [String: StoredZip.Entry] = [:]
        for entry in entries { byName[entry.name] = entry }
        guard let manifestEntry = byName["manifest.json"] else {
            return Verification(
                problems: ["manifest.json is missing: nothing in the pack can be checked."], manifest: nil, signerFingerprint: nil)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let manifest = try? decoder.decode(Manifest.self, from: manifestEntry.data), manifest.format == format else {
            return Verification(
                problems: ["manifest.json is altered: it is not a \(format) manifest."], manifest: nil, signerFingerprint: nil)
        }
        var fingerprint: String?
        if let keyData = Data(base64Encoded: manifest.signer), let signer = try? Curve25519.Signing.PublicKey(rawRepresentation: keyData) {
            fingerprint = Self.fingerprint(signer)
            let signature = byName["manifest.sig"].flatMap { Data(base64Encoded: String(decoding: $0.data, as: UTF8.self)) }
            if signature == nil {
                problems.append("manifest.sig is missing or damaged: the manifest is unsigned.")
            } else if let signature, !signer.isValidSignature(signature, for: manifestEntry.data) {
                problems.append("manifest.json is altered: its signature does not match.")
            }
            if let trusted, trusted.rawRepresentation != signer.rawRepresentation {
                problems.append(
                    "The pack is signed by key \(Self.fingerprint(signer)), not by this instance's key \(Self.fingerprint(trusted)).")
            }
        } else {
            problems.append("manifest.json is altered: its signer key is not an Ed25519 public key.")
        }
        for file in manifest.files {
            guard let entry = byName[file.path] else {
                problems.append("\(file.path) is missing.")
                continue
            }
            if sha256(entry.data) != file.sha256 || !entry.crcMatches {
                problems.append("\(file.path) is altered: its SHA-256 is not the one the manifest records.")
            }
        }
        let listed = Set(manifest.files.map(\.path) + ["manifest.json", "manifest.sig"])
        for entry in entries where !listed.contains(entry.name) {
            problems.append("\(entry.name) was added: the manifest does not list it.")
        }
        if let auditEntry = byName["audit.json"], let slice = try? decoder.decode([AuditEntry].self, from: auditEntry.data) {
            for (index, entry) in slice.enumerated() {
                if AuditChain.hash(of: entry) != entry.hash {
                    problems.append("audit.json: entry \(entry.sequence) does not hash to the hash it records.")
                } else if index > 0, entry.previousHash != slice[index - 1].hash {
                    problems.append("audit.json: entry \(entry.sequence) does not follow entry \(slice[index - 1].sequence).")
                }
            }
        }
        return Verification(problems: problems, manifest: manifest, signerFingerprint: fingerprint)
    }

    public static func fingerprint(_ key: Curve25519.Signing.PublicKey) -> String {
        let hex = sha256(key.rawRepresentation)
        return stride(from: 0, to: 16, by: 4).map { offset in
            String(hex[hex.index(hex.startIndex, offsetBy: offset)..<hex.index(hex.startIndex, offsetBy: offset + 4)])
        }.joined(separator: ":")
    }

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
}

extension SecretBox {
    /// The instance's evidence-signing key, derived from the key that seals tenant secrets, so every
    /// `turnover serve` sharing that key signs with the same one and nothing new is stored.
    public func evidenceSigningKey() throws -> Curve25519.Signing.PrivateKey {
        try Curve25519.Signing.PrivateKey(rawRepresentation: derivedKeyBytes(info: "turnover evidence signing key"))
    }
}
