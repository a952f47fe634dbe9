import ArgumentParser
import Foundation
import TurnoverCore
import TurnoverEngine

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Bring a user deleted in the last 30 days back from Entra's deleted items, with their group memberships.",
        discussion: "Licences, roles and the mailbox's settings are as the offboarding left them; `turnover undo RUN` puts those back.")
    @OptionGroup var data: DataOptions
    @Argument(help: "The deleted user's user principal name.") var upn: String
    @Option(help: "The tenant's name (see `turnover tenant list`).") var tenant: String

    func run() async throws {
        try await data.withWorkspace { workspace in
            let upn = self.upn, tenantName = self.tenant
            let restored = try await withTenantClient(workspace: workspace, tenantName: tenantName, sandbox: false) { client, _ in
                do {
                    return try await OffboardingService(store: workspace.store, client: client, tenantName: tenantName).restore(upn)
                } catch let refusal as OffboardingService.Refusal {
                    note(refusal.description)
                    throw ExitCode(3)
                }
            }
            output("Restored \(restored.displayName) <\(restored.userPrincipalName)> (\(restored.id)) in \(tenantName).")
        }
    }
}
