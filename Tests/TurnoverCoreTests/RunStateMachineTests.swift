import Foundation
import Testing
import TurnoverCore

/// The runner's scheduling, without a tenant: which steps start, what a failure blocks, the status.
@Suite("Run state machine")
struct RunStateMachineTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    static func plan(_ steps: [PlannedStep]) -> Plan {
        Plan(
            tenant: "t", user: PersonRef(id: "u", userPrincipalName: "u@x", displayName: "U"), policyName: "p", createdAt: now,
            steps: steps, blockers: [], warnings: [], licencesToFree: [], retention: [])
    }

    static func step(_ name: String, dependsOn: [String] = [], runsAfter: [String] = []) -> PlannedStep {
        PlannedStep(
            kind: StepKind(name), title: name, phase: .cleanup, dependsOn: dependsOn.map { StepID($0) },
            runsAfter: runsAfter.map { StepID($0) })
    }

    static func machine(_ steps: [PlannedStep], cutsAccess: Set<String> = []) -> RunStateMachine {
        let plan = plan(steps)
        return RunStateMachine(
            steps: plan.steps.map(StepRecord.init(step:)), plan: plan, cutsAccess: Set(cutsAccess.map { StepID($0) }))
    }

    static func launched(_ actions: [RunStateMachine.Action]) -> [String] {
        actions.compactMap { if case .launch(let record) = $0 { record.id.rawValue } else { nil } }
    }

    static func finish(_ machine: inout RunStateMachine, _ id: String, _ status: StepStatus) {
        var record = machine.records[StepID(id)]!
        record.status = status
        machine.update(record)
    }

    @Test("independent steps start together; a dependant waits until its dependency has finished")
    func readiness() {
        var machine = Self.machine([Self.step("a"), Self.step("b"), Self.step("c", dependsOn: ["a"])])
        #expect(Self.launched(machine.nextActions(now: Self.now)) == ["a", "b"])
        #expect(machine.nextActions(now: Self.now).isEmpty, "nothing is launched twice")
        Self.finish(&machine, "a", .succeeded)
        #expect(Self.launched(machine.nextActions(now: Self.now)) == ["c"])
    }

    @Test("a failure blocks its dependants, transitively, and names the cause")
    func blockingCascades() {
        var machine = Self.machine([Self.step("d", dependsOn: ["c"]), Self.step("a"), Self.step("c", dependsOn: ["a"])])
        #expect(Self.launched(machine.nextActions(now: Self.now)) == ["a"])
        Self.finish(&machine, "a", .failed)
        let actions = machine.nextActions(now: Self.now)
        let blocked = actions.compactMap { if case .block(let record) = $0 { record } else { nil } }
        #expect(Set(blocked.map(\.id.rawValue)) == ["c", "d"])
        #expect(blocked.first { $0.id.rawValue == "c" }?.reason == "not run because 'a' failed")
        #expect(machine.isFinished)
        #expect(machine.status(blocked: false) == .failed)
    }

    @Test("an order is not a condition: a step that runs after a failed one still runs")
    func softOrdering() {
        var machine = Self.machine([Self.step("a"), Self.step("b", runsAfter: ["a"])])
        #expect(Self.launched(machine.nextActions(now: Self.now)) == ["a"])
        Self.finish(&machine, "a", .failed)
        #expect(Self.launched(machine.nextActions(now: Self.now)) == ["b"])
        Self.finish(&machine, "b", .succeeded)
        #expect(machine.status(blocked: false) == .partiallySucceeded)
    }

    @Test("status: succeeded only when every step succeeded or was skipped; running while any is open")
    func status() {
        var machine = Self.machine([Self.step("a"), Self.step("b")])
        #expect(machine.status(blocked: false) == .planned)
        _ = machine.nextActions(now: Self.now)
        Self.finish(&machine, "a", .succeeded)
        #expect(machine.status(blocked: false) == .running)
        Self.finish(&machine, "b", .skipped)
        #expect(machine.status(blocked: false) == .succeeded)
        #expect(machine.status(blocked: true) == .blocked)
    }

    @Test("contained only once every access-cutting step held; a failed block is no containment")
    func containment() {
        var machine = Self.machine([Self.step("block"), Self.step("revoke"), Self.step("other")], cutsAccess: ["block", "revoke"])
        _ = machine.nextActions(now: Self.now)
        Self.finish(&machine, "block", .succeeded)
        #expect(!machine.isContained)
        Self.finish(&machine, "revoke", .skipped)
        #expect(machine.isContained)
        var failing = Self.machine([Self.step("block"), Self.step("revoke")], cutsAccess: ["block", "revoke"])
        _ = failing.nextActions(now: Self.now)
        Self.finish(&failing, "block", .failed)
        Self.finish(&failing, "revoke", .succeeded)
        #expect(!failing.isContained)
        #expect(!Self.machine([Self.step("other")]).isContained, "a run with no containment steps is never 'contained'")
    }

    @Test("licences freed come from succeeded steps' own records")
    func licencesFreed() {
        var machine = Self.machine([Self.step("a"), Self.step("b")])
        var a = machine.records[StepID("a")]!
        a.status = .succeeded
        a.licencesFreed = ["SPE_E3"]
        machine.update(a)
        var b = machine.records[StepID("b")]!
        b.status = .failed
        b.licencesFreed = ["VISIOCLIENT"]
        machine.update(b)
        #expect(machine.licencesFreed == ["SPE_E3"])
    }
}
