import Crypto
import Foundation
import Testing
import TurnoverEngine

/// The evidence pack of a run made by `turnover serve`, downloaded over the API and checked by
/// `turnover evidence verify`: intact as made, and every alteration named.
@Suite("Evidence packs are signed, and verify names what was altered, removed or added", .serialized)
struct EvidencePackTests {
    static func cli(_ arguments: [String]) async throws -> (status: Int32, out: String) {
        let directory = try ServeProcess.newDataDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeProcess.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "TURNOVER_SECRET_KEY")
        environment.removeValue(forKey: "TURNOVER_DATA_DIR")
        process.environment = environment
        let out = URL(fileURLWithPath: directory).appendingPathComponent("out")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return (process.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }

    static func write(_ data: Data) throws -> String {
        let path = try ServeProcess.newDataDirectory() + "/pack.zip"
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a pack of a finished run verifies; a changed byte, a removed or added file, an edited manifest or another signer fail, by name")
    func evidence() async throws {
        try await withServe { serve, api, team in
            let submitted = try await api.call(
                "POST", "/offboardings", token: team.technician, json: ["tenant": "contoso", "userPrincipalName": "ben.carter@contoso.com"])
            let id = try #require(submitted.object["id"] as? String)
            let early = try await api.call("GET", "/offboardings/\(id)/evidence", token: team.auditor)
            #expect(early.status == 409, "no evidence before the run: \(early.text)")
            _ = try await api.call("POST", "/offboardings/\(id)/approve", token: team.approver, json: [:])
            let finished = try await api.waitFor(id, token: team.technician, statuses: ["succeeded", "partially-succeeded", "failed"])
            #expect(finished["status"] as? String == "succeeded")

            let download = try await api.call("GET", "/offboardings/\(id)/evidence", token: team.auditor)
            #expect(download.status == 200)
            #expect(download.headers["content-type"] == "application/zip")
            let pack = download.body
            let entries = try StoredZip.entries(of: pack)
            let names = Set(entries.map(\.name))
            for name in [
                "before-state.json", "plan.json", "approvals.json", "steps.json", "after-state.json", "exceptions.json", "report.html",
                "report.md",
                "audit.json", "manifest.json", "manifest.sig",
            ] {
                #expect(names.contains(name), "\(name) in the pack")
            }
            func text(_ name: String) -> String { String(decoding: entries.first { $0.name == name }?.data ?? Data(), as: UTF8.self) }
            #expect(text("approvals.json").contains("\"operator\" : \"ada\""), "the approver is named")
            #expect(text("steps.json").contains("\"requestId\""), "steps carry Microsoft's request-ids")
            #expect(text("audit.json").contains("offboarding.approved") && text("audit.json").contains("step.finished"))
            #expect(text("before-state.json").contains("ben.carter@contoso.com"))

            // As made: intact, against the instance's own key and against the key an auditor was given.
            let path = try Self.write(pack)
            let intact = try await Self.cli(["evidence", "verify", path, "--data-dir", serve.dataDirectory])
            #expect(intact.status == 0, "\(intact.out)")
            #expect(intact.out.contains("Intact"))
            let key = try await Self.cli(["evidence", "key", "--data-dir", serve.dataDirectory])
            let publicKey = String(key.out.split(separator: " ").first ?? "")
            #expect(try await Self.cli(["evidence", "verify", path, "--public-key", publicKey]).status == 0)

            func refused(_ data: Data, saying expected: String, _ comment: Comment) async throws {
                let result = try await Self.cli(["evidence", "verify", try Self.write(data), "--data-dir", serve.dataDirectory])
                #expect(result.status != 0, comment)
                #expect(result.out.contains(expected), "\(comment): \(result.out)")
            }
            // One byte changed inside steps.json (stored uncompressed, so the byte is in the file as is).
            var changed = pack
            let marker = Data("\"requestId\"".utf8)
            let at = try #require(changed.range(of: marker)).lowerBound + 2
            changed[at] = changed[at] == UInt8(ascii: "e") ? UInt8(ascii: "f") : UInt8(ascii: "e")
            try await refused(changed, saying: "steps.json is altered", "one byte changed")

            let modified = Date()
            func rebuilt(_ entries: [StoredZip.Entry]) -> Data {
                StoredZip.archive(entries.map { (name: $0.name, data: $0.data) }, modified: modified)
            }
            try await refused(rebuilt(entries.filter { $0.name != "audit.json" }), saying: "audit.json is missing", "a file removed")
            try await refused(
                rebuilt(entries + [StoredZip.Entry(name: "extra.txt", data: Data("x".utf8))]), saying: "extra.txt was added", "a file added"
            )
            try await refused(
                rebuilt(
                    entries.map { entry in
                        guard entry.name == "manifest.json" else { return entry }
                        var edited = entry
                        edited.data = Data(
                            String(decoding: entry.data, as: UTF8.self).replacingOccurrences(of: "ben.carter", with: "bob.carter").utf8)
                        return edited
                    }), saying: "manifest.json is altered: its signature does not match", "the manifest edited")

            // Re-signed by someone else's key: the pack's own signature holds, but not the instance's.
            let stranger = Curve25519.Signing.PrivateKey()
            let resigned = rebuilt(
                try entries.map { entry in
                    var entry = entry
                    if entry.name == "manifest.json" {
                        var manifest = try JSONSerialization.jsonObject(with: entry.data) as? [String: Any] ?? [:]
                        manifest["signer"] = stranger.publicKey.rawRepresentation.base64EncodedString()
                        entry.data = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys, .prettyPrinted])
                    }
                    return entry
                })
            let manifestData = try #require(try StoredZip.entries(of: resigned).first { $0.name == "manifest.json" }?.data)
            let signature = try stranger.signature(for: manifestData).base64EncodedString()
            let strangerPack = rebuilt(
                try StoredZip.entries(of: resigned).map { entry in
                    entry.name == "manifest.sig" ? StoredZip.Entry(name: "manifest.sig", data: Data(signature.utf8)) : entry
                })
            try await refused(strangerPack, saying: "not by this instance's key", "re-signed by another key")
        }
    }
}
