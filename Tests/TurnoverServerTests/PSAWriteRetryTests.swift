import Foundation
import PSAClients
import Testing
import TurnoverCore
import TurnoverEngine

/// Which failed PSA writes are sent again. A note, a time entry or a file the PSA may have saved
/// before the answer was lost must not be sent again (it would be there twice); a status or a
/// contact can be set twice without harm.
@Suite("PSA writes: what is retried")
struct PSAWriteRetryTests {
    static let note = PSAWriteBack.note(title: "t", text: "x", html: "<p>x</p>")
    static let status = PSAWriteBack.status("4")

    @Test("a timeout or a dropped connection after sending: a note is not sent again and says why; a status is")
    func ambiguous() {
        for error in [
            PSAError(.unavailable, "no answer within the time limit"), PSAError(.transport, "connection reset"),
            PSAError(.unavailable, status: 500, "Internal Server Error"),
        ] {
            let note = PSAWriter.outcome(of: error, writing: Self.note, on: "41", in: "HaloPSA")
            #expect(note.permanent && !note.succeeded, "\(error)")
            #expect(note.detail.contains("may or may not have been saved") && note.detail.contains("ticket 41"))
            let status = PSAWriter.outcome(of: error, writing: Self.status, on: "41", in: "HaloPSA")
            #expect(!status.permanent && !status.succeeded, "a status can be set again: \(error)")
        }
    }

    @Test("refused before anything happened (not sent, throttled, a refused key, 503): sent again; refused content: never")
    func certain() {
        for error in [
            PSAError(.notSent, "connection refused"), PSAError(.throttled, status: 429, "slow down"),
            PSAError(.unauthorized, status: 401, "bad key"), PSAError(.unavailable, status: 503, "maintenance"),
        ] {
            #expect(!PSAWriter.outcome(of: error, writing: Self.note, on: "41", in: "HaloPSA").permanent, "\(error)")
        }
        for error in [PSAError(.invalid, status: 400, "An Outcome must be entered"), PSAError(.notFound, status: 404, "no ticket")] {
            #expect(PSAWriter.outcome(of: error, writing: Self.note, on: "41", in: "HaloPSA").permanent)
            #expect(PSAWriter.outcome(of: error, writing: Self.status, on: "41", in: "HaloPSA").permanent)
        }
    }
}
