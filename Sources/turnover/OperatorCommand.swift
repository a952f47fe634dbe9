import ArgumentParser
import Foundation
import TurnoverCore
import TurnoverEngine
import TurnoverServer
import TurnoverStore

struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "Manage the operators of `turnover serve`.", subcommands: [OperatorAdd.self, OperatorList.self])

    static func describe(_ created: OperatorAccounts.NewCredentials) -> String {
        var lines = [
            "Operator \(created.record.name) (\(created.record.roles.map(\.rawValue).joined(separator: ", "))) created.",
            "Initial password (shown once; it must be changed at first sign-in): \(created.initialPassword)",
        ]
        if let secret = created.totpSecret, let url = created.totpURL {
            lines.append("TOTP secret (enrol it in an authenticator app; shown once): \(secret)")
            lines.append("TOTP enrolment URL: \(url)")
        }
        return lines.joined(separator: "\n")
    }
}

struct OperatorAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add an operator and print their one-time initial password (and TOTP secret for admins and approvers).")
    @OptionGroup var data: DataOptions
    @Argument(help: "The name they sign in with.") var name: String
    @Option(help: "Roles, comma-separated: admin, technician, approver, auditor.") var role: String
    @Option(help: "Tenants in scope, comma-separated; every tenant when absent.") var tenants: String?
    @Option(help: "Where their notifications go (approval requests, the outcome of what they submitted).") var email: String?

    func run() async throws {
        var roles: [Role] = []
        for text in role.split(separator: ",") {
            guard let role = Role(rawValue: text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("Unknown role '\(text)'; use admin, technician, approver or auditor.")
            }
            roles.append(role)
        }
        let scope = tenants?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        try await data.withWorkspace { workspace in
            do {
                let created = try await OperatorAccounts(store: workspace.store).addOperator(
                    name: OperatorName(name), roles: roles, tenants: scope, email: email)
                try await workspace.store.appendAudit(
                    AuditEvent(actor: ProcessInfo.processInfo.environment["USER"] ?? "cli", action: "operator.added", subject: name),
                    at: Date())
                output(OperatorCommand.describe(created))
            } catch let refusal as OperatorAccounts.Refusal {
                throw CLIError(refusal.description)
            }
        }
    }
}

struct OperatorList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List operators (never their secrets).")
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await data.withWorkspace { workspace in
            for record in try await workspace.store.operators() {
                output(
                    "\(record.name)\t\(record.roles.map(\.rawValue).joined(separator: ","))\t\(record.tenants.isEmpty ? "all tenants" : record.tenants.joined(separator: ","))\(record.disabled ? "\tdisabled" : "")"
                )
            }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit log of `turnover serve`.", subcommands: [AuditVerify.self])
}

struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the audit log's hash chain and name the first entry that was edited, removed or reordered.",
        discussion: "Exit status: 0 intact, 1 broken.")
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await data.withWorkspace { workspace in
            let verification = try await AuditVerifier.verify(workspace.store)
            if let bad = verification.firstBad {
                output("BROKEN at entry \(bad.sequence): \(bad.problem) (\(verification.entries) entries read).")
                throw ExitCode(1)
            }
            output("Intact: \(verification.entries) entries, each chained to the one before.")
        }
    }
}
