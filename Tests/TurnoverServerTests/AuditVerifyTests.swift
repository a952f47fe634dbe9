import Foundation
import Logging
import SQLiteKit
import Testing
import TurnoverStore

/// `turnover audit verify` against a database someone tampered with behind Turnover's back.
@Suite("turnover audit verify")
struct AuditVerifyTests {
    /// A data directory whose audit log holds six entries, then `tamper` applied to it with raw SQL.
    static func tampered(_ tamper: String) async throws -> (status: Int32, output: String) {
        let directory = try ServeProcess.newDataDirectory()
        let path = directory + "/turnover.sqlite"
        let store = try await SQLiteStore.open(path: path)
        for number in 1...6 {
            try await store.appendAudit(
                AuditEvent(
                    actor: "ada", action: "offboarding.approved", tenant: "contoso", subject: "o-\(number)", detail: "entry \(number)"),
                at: Date(timeIntervalSince1970: 1_800_000_000 + Double(number)))
        }
        try await store.close()
        if !tamper.isEmpty {
            var logger = Logger(label: "tamper")
            logger.logLevel = .critical
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            for statement in tamper.split(separator: ";") {
                try await connection.sql().raw(SQLQueryString(String(statement))).run()
            }
            try await connection.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeProcess.binary)
        process.arguments = ["audit", "verify", "--data-dir", directory]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test("an untouched chain verifies")
    func intact() async throws {
        let (status, output) = try await Self.tampered("")
        #expect(status == 0, "\(output)")
        #expect(output.contains("6 entries"))
    }

    @Test("an edited entry is named")
    func edited() async throws {
        let (status, output) = try await Self.tampered("UPDATE audit_log SET detail = 'nothing to see' WHERE sequence = 3")
        #expect(status == 1)
        #expect(output.contains("entry 3") && output.contains("edited"), "\(output)")
    }

    @Test("a deleted entry is named")
    func deleted() async throws {
        let (status, output) = try await Self.tampered("DELETE FROM audit_log WHERE sequence = 4")
        #expect(status == 1)
        #expect(output.contains("entry 4 is missing"), "\(output)")
    }

    @Test("an entry removed and the later ones renumbered to close the gap is named")
    func renumbered() async throws {
        let (status, output) = try await Self.tampered(
            "DELETE FROM audit_log WHERE sequence = 2; UPDATE audit_log SET sequence = sequence - 1 WHERE sequence > 2")
        #expect(status == 1)
        #expect(output.contains("entry 2"), "\(output)")
    }

    @Test("two swapped entries are named")
    func swapped() async throws {
        let (status, output) = try await Self.tampered(
            "UPDATE audit_log SET sequence = 100 WHERE sequence = 2; UPDATE audit_log SET sequence = 2 WHERE sequence = 5; UPDATE audit_log SET sequence = 5 WHERE sequence = 100"
        )
        #expect(status == 1)
        #expect(output.contains("entry 2"), "\(output)")
    }
}
