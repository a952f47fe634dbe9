public import Foundation
public import TurnoverCore
public import TurnoverEngine
public import TurnoverStore

/// Exports an offboarding's evidence pack from the store: its run, its approvals, the audit log and
/// the report as the console shows it, signed with the instance's key. The console, the REST API and
/// `turnover evidence export` all export through here.
public enum EvidenceExport {
    public struct NotRun: Error, CustomStringConvertible {
        public var description: String
    }

    public static func pack(
        for request: OffboardingRequest, store: any TurnoverStore, secrets: SecretBox, at now: Date
    ) async throws -> Data {
        guard let runId = request.runId, let run = try await store.run(runId) else {
            throw NotRun(description: "Offboarding \(request.id) is \(request.status.rawValue) and has not run, so it has no evidence yet.")
        }
        let audit = try await AuditVerifier.allEntries(store)
        let html = OffboardingPages.standaloneReport(run: run, request: request, templates: try ConsoleTemplates.load())
        return try EvidencePack.make(
            .init(run: run, request: request, audit: audit, reportHTML: html), signingKey: try secrets.evidenceSigningKey(), at: now)
    }
}
