import ArgumentParser
import Crypto
import Foundation
import TurnoverCore
import TurnoverEngine
import TurnoverServer
import TurnoverStore

struct EvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence", abstract: "Export and verify the signed evidence pack of an offboarding.",
        subcommands: [EvidenceExportCommand.self, EvidenceVerifyCommand.self, EvidenceKeyCommand.self])
}

struct EvidenceExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the evidence pack (a signed ZIP) of an offboarding that has run.")
    @OptionGroup var data: DataOptions
    @Argument(help: "The offboarding's id (o-…).") var id: String
    @Option(help: "Where to write the pack (default: turnover-evidence-ID.zip).") var out: String?

    func run() async throws {
        try await data.withWorkspace { workspace in
            guard let (request, _) = try await workspace.store.offboarding(OffboardingID(id)) else {
                throw CLIError(
                    "No offboarding \(id) in this data directory (runs made by `turnover offboard` alone have none; export through serve).")
            }
            let pack: Data
            do {
                pack = try await EvidenceExport.pack(for: request, store: workspace.store, secrets: workspace.secrets, at: Date())
            } catch let notRun as EvidenceExport.NotRun {
                throw CLIError(notRun.description)
            }
            let path = out ?? "turnover-evidence-\(request.id.rawValue).zip"
            try pack.write(to: URL(fileURLWithPath: path))
            let key = try workspace.secrets.evidenceSigningKey().publicKey
            output("Wrote \(path) (\(pack.count) bytes), signed by key \(EvidencePack.fingerprint(key)).")
        }
    }
}

struct EvidenceVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an evidence pack: its signature, every file's hash, no file missing or added, the audit slice's chain.",
        discussion: """
            The signer is checked against --public-key (from `turnover evidence key`), or else against the key of the data \
            directory's instance when it has one. Exits non-zero, naming each altered, missing or added part, when the \
            pack is not intact.
            """)
    @OptionGroup var data: DataOptions
    @Argument(help: "The pack (.zip).") var file: String
    @Option(name: .customLong("public-key"), help: "The instance's public key, base64, as `turnover evidence key` prints it.")
    var publicKey: String?

    func run() async throws {
        guard let archive = FileManager.default.contents(atPath: file) else { throw CLIError("Cannot read \(file).") }
        var trusted: Curve25519.Signing.PublicKey?
        var trustSource = "no instance key given (--public-key): only the pack's own signature was checked"
        if let publicKey {
            guard let raw = Data(base64Encoded: publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                throw CLIError("--public-key is not a base64 Ed25519 public key.")
            }
            trusted = key
            trustSource = "signer checked against --public-key"
        } else if let directory = data.dataDirectory ?? ProcessInfo.processInfo.environment["TURNOVER_DATA_DIR"],
            FileManager.default.fileExists(atPath: directory + "/secret.key")
                || ProcessInfo.processInfo.environment["TURNOVER_SECRET_KEY"] != nil
        {
            trusted = try await data.withWorkspace { try $0.secrets.evidenceSigningKey().publicKey }
            trustSource = "signer checked against the key of the instance in \(directory)"
        }
        let verification = EvidencePack.verify(archive, trusting: trusted)
        if let manifest = verification.manifest {
            output(
                "Evidence pack of \(manifest.offboarding ?? manifest.run) (\(manifest.user), tenant \(manifest.tenant)), made \(manifest.createdAt), \(manifest.files.count) files."
            )
        }
        if let fingerprint = verification.signerFingerprint { output("Signed by key \(fingerprint); \(trustSource).") }
        guard verification.isIntact else {
            for problem in verification.problems { output("  ✗ \(problem)") }
            throw CLIError("The evidence pack is NOT intact (\(verification.problems.count) problem(s)).")
        }
        output("Intact: every file matches the signed manifest and the audit slice's chain holds.")
    }
}

struct EvidenceKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Print this instance's evidence-signing public key (give it to auditors for --public-key).")
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await data.withWorkspace { workspace in
            let key = try workspace.secrets.evidenceSigningKey().publicKey
            output("\(key.rawRepresentation.base64EncodedString())    # fingerprint \(EvidencePack.fingerprint(key))")
        }
    }
}
