import Foundation
import OpenAPIRuntime
import TurnoverCore
import TurnoverEngine
import TurnoverStore

extension APIHandler {
    static func schema(_ decision: OffboardingRequest.Decision) -> Components.Schemas.Decision {
        .init(_operator: decision.operator_.rawValue, at: decision.at, planHash: decision.planHash, comment: decision.comment)
    }

    /// The offboarding with each step's status: live from its run once it has one, else as planned.
    func schema(_ request: OffboardingRequest) async throws -> Components.Schemas.Offboarding {
        let run = try await request.runId.asyncMap { try await store.run($0) } ?? nil
        let steps = run?.steps ?? request.plan.steps.map(StepRecord.init(step:))
        return .init(
            id: request.id.rawValue, tenant: request.tenant, userPrincipalName: request.userPrincipalName,
            status: Components.Schemas.OffboardingStatus(rawValue: request.status.rawValue) ?? .failed, undoes: request.undoes?.rawValue,
            submittedBy: request.submittedBy.rawValue, submittedAt: request.submittedAt, expiresAt: request.expiresAt,
            runAt: request.runAt, timing: request.timing, stage: request.stage, timeline: request.timeline?.rawValue,
            ticket: request.ticket.map { .init(connection: $0.connection, id: $0.id, summary: $0.summary) },
            quorum: request.quorum, approvals: request.approvals.map(Self.schema),
            rejection: request.rejection.map(Self.schema),
            cancellation: request.cancellation.map(Self.schema), holding: request.holding.map(Self.schema), planHash: request.planHash,
            plan: try Self.freeForm(request.plan),
            runId: request.runId?.rawValue,
            steps: steps.map {
                .init(
                    id: $0.id.rawValue, kind: $0.kind.rawValue, title: $0.title, phase: $0.phase.rawValue, status: $0.status.rawValue,
                    reason: $0.reason, error: $0.error?.description)
            },
            notes: request.notes)
    }

    func listOffboardings(_ input: Operations.ListOffboardings.Input) async throws -> Operations.ListOffboardings.Output {
        let principal = try Principal.required()
        let limit = Self.pageLimit(input.query.limit)
        if let tenant = input.query.tenant, !principal.sees(tenant) {
            return .ok(.init(body: .json(.init(items: []))))
        }
        let filter = OffboardingFilter(
            tenants: principal.tenants.isEmpty ? nil : Array(principal.tenants), tenant: input.query.tenant,
            status: input.query.status.flatMap { OffboardingRequest.Status(rawValue: $0.rawValue) }, userPrincipalName: input.query.user)
        let found = try await store.offboardings(filter, limit: limit + 1, after: input.query.cursor.map { OffboardingID($0) })
        let page = Array(found.prefix(limit))
        var items: [Components.Schemas.Offboarding] = []
        for request in page { items.append(try await schema(request)) }
        return .ok(.init(body: .json(.init(items: items, nextCursor: found.count > limit ? page.last?.id.rawValue : nil))))
    }

    func submitOffboarding(_ input: Operations.SubmitOffboarding.Input) async throws -> Operations.SubmitOffboarding.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let principal = try Principal.required()
        let tenant = try await visibleTenant(body.tenant)
        guard body.runAt == nil || body.lastDay == nil else {
            throw APIProblem.badRequest("Give runAt or lastDay, not both.")
        }
        let timing: RunTiming = body.runAt.map(RunTiming.at) ?? body.lastDay.map(RunTiming.endOfLastDay) ?? .now
        let request = try await desk.submit(
            tenant: tenant, userPrincipalName: body.userPrincipalName, overrides: body.overrides ?? [],
            confirmWipe: body.confirmWipe ?? false, by: principal.name, timing: timing)
        return .created(.init(body: .json(try await schema(request))))
    }

    func getOffboarding(_ input: Operations.GetOffboarding.Input) async throws -> Operations.GetOffboarding.Output {
        .ok(.init(body: .json(try await schema(try await visibleOffboarding(input.path.id).request))))
    }

    func approveOffboarding(_ input: Operations.ApproveOffboarding.Input) async throws -> Operations.ApproveOffboarding.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let principal = try Principal.required()
        let (request, _) = try await visibleOffboarding(input.path.id)
        let approved = try await desk.approve(
            request.id, by: principal.name, planHash: nil, dropSteps: (body.dropSteps ?? []).map(StepID.init), comment: body.comment)
        return .ok(.init(body: .json(try await schema(approved))))
    }

    func rejectOffboarding(_ input: Operations.RejectOffboarding.Input) async throws -> Operations.RejectOffboarding.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let principal = try Principal.required()
        let (request, _) = try await visibleOffboarding(input.path.id)
        return .ok(.init(body: .json(try await schema(try await desk.reject(request.id, by: principal.name, reason: body.reason)))))
    }

    func holdOffboarding(_ input: Operations.HoldOffboarding.Input) async throws -> Operations.HoldOffboarding.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let principal = try Principal.required()
        let (request, _) = try await visibleOffboarding(input.path.id)
        return .ok(.init(body: .json(try await schema(try await desk.hold(request.id, by: principal.name, reason: body.reason)))))
    }

    func releaseOffboarding(_ input: Operations.ReleaseOffboarding.Input) async throws -> Operations.ReleaseOffboarding.Output {
        let principal = try Principal.required()
        let (request, _) = try await visibleOffboarding(input.path.id)
        return .ok(.init(body: .json(try await schema(try await desk.release(request.id, by: principal.name)))))
    }

    func cancelOffboarding(_ input: Operations.CancelOffboarding.Input) async throws -> Operations.CancelOffboarding.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let principal = try Principal.required()
        let (request, _) = try await visibleOffboarding(input.path.id)
        if !principal.has(.admin), !principal.has(.approver), request.submittedBy != principal.name {
            throw APIProblem.forbidden("A technician cancels only the offboardings they submitted.")
        }
        return .ok(.init(body: .json(try await schema(try await desk.cancel(request.id, by: principal.name, reason: body.reason)))))
    }

    func getOffboardingReport(_ input: Operations.GetOffboardingReport.Input) async throws -> Operations.GetOffboardingReport.Output {
        let (request, _) = try await visibleOffboarding(input.path.id)
        guard let runId = request.runId, let run = try await store.run(runId) else {
            throw APIProblem.conflict("Offboarding \(request.id) is \(request.status.rawValue) and has no run yet, so no report.")
        }
        if input.query.format == .json {
            let data = try Report.json(run)
            return .ok(.init(body: .json(try JSONDecoder().decode(Components.Schemas.FreeForm.self, from: data))))
        }
        return .ok(.init(body: .textMarkdown(HTTPBody(Report.markdown(run)))))
    }

    func getOffboardingEvidence(_ input: Operations.GetOffboardingEvidence.Input) async throws -> Operations.GetOffboardingEvidence.Output {
        let (request, _) = try await visibleOffboarding(input.path.id)
        let pack = try await EvidenceExport.pack(for: request, store: store, secrets: clients.workspace.secrets, at: now)
        return .ok(.init(body: .applicationZip(HTTPBody(pack))))
    }

    func listOffboardingNotifications(
        _ input: Operations.ListOffboardingNotifications.Input
    ) async throws -> Operations.ListOffboardingNotifications.Output {
        let (request, _) = try await visibleOffboarding(input.path.id)
        let deliveries = try await store.deliveries(offboarding: request.id, limit: 1000)
        return .ok(.init(body: .json(deliveries.map(Self.schema))))
    }

    static func schema(_ delivery: NotificationDelivery) -> Components.Schemas.NotificationDelivery {
        .init(
            id: delivery.id, event: .init(rawValue: delivery.event.rawValue) ?? .submitted,
            channel: .init(rawValue: delivery.channel.rawValue) ?? .email, target: delivery.target,
            status: .init(rawValue: delivery.status.rawValue) ?? .pending, subject: delivery.subject,
            nextAttemptAt: delivery.nextAttemptAt, createdAt: delivery.createdAt,
            attempts: delivery.attempts.map { .init(at: $0.at, succeeded: $0.succeeded, code: $0.code, detail: $0.detail) })
    }

    func submitUndo(_ input: Operations.SubmitUndo.Input) async throws -> Operations.SubmitUndo.Output {
        guard case .json(let body) = input.body else { throw APIProblem.badRequest("Send JSON.") }
        let principal = try Principal.required()
        let (request, _) = try await visibleOffboarding(input.path.id)
        let undo = try await desk.submitUndo(of: request.id, steps: body.steps, by: principal.name)
        return .created(.init(body: .json(try await schema(undo))))
    }

    /// Server-sent events: a `status` event when the offboarding's status changes, a `step` event
    /// per step change, and `end` once it is final. Read from the store, so a run executed by any
    /// `turnover serve` on the same database streams to every one of them.
    func streamOffboardingEvents(
        _ input: Operations.StreamOffboardingEvents.Input
    ) async throws
        -> Operations.StreamOffboardingEvents.Output
    {
        let (first, _) = try await visibleOffboarding(input.path.id)
        let store = self.store
        let id = first.id
        let (stream, continuation) = AsyncStream.makeStream(of: ArraySlice<UInt8>.self)
        let task = Task {
            var lastStatus: OffboardingRequest.Status?
            var sent: [StepID: String] = [:]
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            func send(_ event: String, _ json: Data) {
                continuation.yield(ArraySlice(Array("event: \(event)\ndata: ".utf8) + Array(json) + Array("\n\n".utf8)))
            }
            let deadline = Date().addingTimeInterval(3600)
            while !Task.isCancelled, Date() < deadline {
                guard let (request, _) = try? await store.offboarding(id) else { break }
                if request.status != lastStatus {
                    lastStatus = request.status
                    send("status", (try? encoder.encode(["status": request.status.rawValue, "id": id.rawValue])) ?? Data())
                }
                if let runId = request.runId, let run = try? await store.run(runId) {
                    for step in run.steps {
                        let line = "\(step.status.rawValue)|\(step.attempts)"
                        guard sent[step.id] != line else { continue }
                        sent[step.id] = line
                        send("step", (try? encoder.encode(step)) ?? Data())
                    }
                }
                if request.status.isFinal {
                    send("end", (try? encoder.encode(["status": request.status.rawValue])) ?? Data())
                    break
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return .ok(.init(body: .textEventStream(HTTPBody(stream, length: .unknown, iterationBehavior: .single))))
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}
