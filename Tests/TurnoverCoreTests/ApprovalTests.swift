import Foundation
import Testing
import TurnoverCore

@Suite("Four-eyes approval")
struct ApprovalTests {
    static func request(quorum: Int = 1, expiresHours: Int = 24) -> OffboardingRequest {
        var approval = Policy.Approval()
        approval.quorum = quorum
        approval.expiresHours = expiresHours
        let snapshot = Leaver.snapshot()
        return OffboardingRequest(
            id: "o-1", tenant: "contoso", plan: Leaver.plan(snapshot), snapshot: snapshot, planHash: "hash-1", submittedBy: "tess",
            submittedAt: Leaver.now, approval: approval, overrides: [], confirmedWipe: false)
    }

    @Test("the submitter never approves their own request; another approver does")
    func fourEyes() throws {
        var request = Self.request()
        #expect(throws: OffboardingRequest.Refusal.self) {
            try request.approve(by: "tess", planHash: "hash-1", comment: nil, at: Leaver.now)
        }
        #expect(request.status == .awaitingApproval && request.approvals.isEmpty)
        try request.approve(by: "ada", planHash: "hash-1", comment: "fine", at: Leaver.now)
        #expect(request.status == .approved)
        #expect(request.approvals.map(\.operator_) == ["ada"])
    }

    @Test("a quorum of two needs two different approvers")
    func quorum() throws {
        var request = Self.request(quorum: 2)
        try request.approve(by: "ada", planHash: "hash-1", comment: nil, at: Leaver.now)
        #expect(request.status == .awaitingApproval)
        #expect(throws: OffboardingRequest.Refusal.self) {
            try request.approve(by: "ada", planHash: "hash-1", comment: nil, at: Leaver.now)
        }
        try request.approve(by: "root", planHash: "hash-1", comment: nil, at: Leaver.now)
        #expect(request.status == .approved)
    }

    @Test("an approval of another plan than the one on record is refused")
    func planHash() {
        var request = Self.request()
        #expect(throws: OffboardingRequest.Refusal.self) {
            try request.approve(by: "ada", planHash: "hash-0", comment: nil, at: Leaver.now)
        }
        #expect(request.status == .awaitingApproval)
    }

    @Test("past its expiry a request can no longer be approved; it can no longer be cancelled once decided")
    func expiryAndCancel() throws {
        var request = Self.request(expiresHours: 1)
        let later = Leaver.now.addingTimeInterval(3601)
        #expect(request.isExpired(at: later))
        #expect(throws: OffboardingRequest.Refusal.self) { try request.approve(by: "ada", planHash: "hash-1", comment: nil, at: later) }
        var rejected = Self.request()
        try rejected.reject(by: "ada", reason: "wrong person", at: Leaver.now)
        #expect(rejected.status == .rejected && rejected.rejection?.comment == "wrong person")
        #expect(throws: OffboardingRequest.Refusal.self) { try rejected.cancel(by: "tess", reason: "x", at: Leaver.now) }
        try request.cancel(by: "tess", reason: "the leaver stays", at: Leaver.now)
        #expect(request.status == .cancelled)
    }

    @Test("a changed plan voids the approvals given so far")
    func replacePlan() throws {
        var request = Self.request(quorum: 2)
        try request.approve(by: "ada", planHash: "hash-1", comment: nil, at: Leaver.now)
        request.replacePlan(request.plan, snapshot: request.snapshot, planHash: "hash-2", note: "changed")
        #expect(request.approvals.isEmpty && request.planHash == "hash-2" && request.notes.last == "changed")
    }

    @Test("dropping a step drops the steps that need it to succeed")
    func dropping() throws {
        let plan = Leaver.plan(Leaver.snapshot())
        let convert = try #require(plan.steps.first { $0.kind == ConvertToShared.kind })
        let dependents = plan.steps.filter { $0.dependsOn.contains(convert.id) }.map(\.id)
        let (dropped, removed) = plan.dropping([convert.id])
        #expect(removed.contains(convert.id))
        for id in dependents { #expect(removed.contains(id) && dropped.step(id) == nil) }
        #expect(dropped.steps.allSatisfy { !($0.runsAfter ?? []).contains(convert.id) })
    }

    @Test("approval settings parse from the policy, and nonsense is refused with its line")
    func policy() throws {
        let policy = try Policy.parse(yaml: "approval:\n  required: true\n  quorum: 2\n  expiresHours: 8\n")
        #expect(policy.approval.required && policy.approval.quorum == 2 && policy.approval.expiresHours == 8)
        #expect(throws: PolicyErrors.self) { try Policy.parse(yaml: "approval:\n  quorum: 3\n") }
    }
}
