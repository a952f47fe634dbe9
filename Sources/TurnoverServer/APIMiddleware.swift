import Foundation
import HTTPTypes
import Logging
import Metrics
import MicrosoftGraph
import OpenAPIRuntime
import TurnoverCore
import TurnoverEngine

/// Every API call passes here: the bearer credential is checked, the operation's rule in
/// ``AccessRules`` is enforced, and any error becomes an RFC 9457 problem document.
struct APIMiddleware: ServerMiddleware {
    let accounts: OperatorAccounts
    let logger: Logger

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let requestId = request.headerFields[HTTPField.Name("X-Request-Id")!] ?? UUID().uuidString.lowercased()
        var logger = logger
        logger[metadataKey: "request-id"] = "\(requestId)"
        logger[metadataKey: "operation"] = "\(operationID)"
        do {
            guard let rule = AccessRules.table[operationID] else {
                throw APIProblem.forbidden("No access rule covers \(operationID); it is refused to everyone until one does.")
            }
            var principal: Principal?
            if rule != .open {
                principal = try await authenticate(request)
                try AccessRules.check(principal!, operation: operationID)
            }
            let (response, responseBody) = try await Principal.$current.withValue(principal) {
                try await next(request, body, metadata)
            }
            var tagged = response
            tagged.headerFields[HTTPField.Name("X-Request-Id")!] = requestId
            Counter(
                label: "turnover_api_requests_total", dimensions: [("operation", operationID), ("status", String(response.status.code))]
            )
            .increment()
            return (tagged, responseBody)
        } catch {
            let problem = Self.problem(for: error)
            if problem.status >= 500 {
                logger.error("request failed", metadata: ["error": "\(error)"])
            } else {
                logger.info("request refused", metadata: ["status": "\(problem.status)", "detail": "\(problem.detail)"])
            }
            Counter(label: "turnover_api_requests_total", dimensions: [("operation", operationID), ("status", String(problem.status))])
                .increment()
            var response = HTTPResponse(status: .init(code: problem.status))
            response.headerFields[.contentType] = "application/problem+json"
            response.headerFields[HTTPField.Name("X-Request-Id")!] = requestId
            if problem.status == 401 { response.headerFields[.wwwAuthenticate] = "Bearer" }
            return (response, HTTPBody(problem.body(instance: request.path)))
        }
    }

    func authenticate(_ request: HTTPRequest) async throws -> Principal {
        guard let header = request.headerFields[.authorization], header.lowercased().hasPrefix("bearer "),
            let principal = try await accounts.authenticate(bearer: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        else {
            throw APIProblem(
                status: 401, title: "Not signed in",
                detail: "Present a valid bearer token: a session from POST /api/v1/sessions or an API token.")
        }
        return principal
    }

    /// The problem document for any error a handler or the generated code threw.
    static func problem(for error: any Error) -> APIProblem {
        var underlying: any Error = error
        while let server = underlying as? ServerError { underlying = server.underlyingError }
        switch underlying {
        case let problem as APIProblem: return problem
        case let refusal as OperatorAccounts.Refusal: return refusal.problem
        case let refusal as OffboardingRequest.Refusal:
            return refusal.kind == .forbidden ? .forbidden(refusal.description) : .conflict(refusal.description)
        case let refusal as OffboardingService.Refusal: return .unprocessable(refusal.description)
        case let notRun as EvidenceExport.NotRun: return .conflict(notRun.description)
        case let missing as OffboardingDesk.NotFound: return .notFound(missing.description)
        case let refusal as UndoPlanner.Refusal: return .unprocessable(refusal.description)
        case let errors as PolicyErrors: return .unprocessable(errors.description)
        case let microsoft as MicrosoftAPIError where microsoft.status == 404:
            return .notFound("Microsoft 365 has no such object: \(microsoft)")
        case is MicrosoftAPIError, is RetriesExhausted:
            return APIProblem(
                status: 502, title: "Microsoft call failed",
                detail: "A call to Microsoft 365 failed: \(underlying). Nothing was recorded as done; try again.")
        case is DecodingError:
            return .badRequest("The request does not match the API's schema: \(underlying)")
        default:
            // The generated code's own refusals (a malformed parameter or body, a wrong content type).
            if String(describing: type(of: underlying)) == "RuntimeError" { return .badRequest("\(underlying)") }
            // Microsoft could not be reached at all (DNS, TLS, a refused or dropped connection).
            let module = String(reflecting: type(of: underlying))
            if module.hasPrefix("AsyncHTTPClient.") || module.hasPrefix("NIO") {
                return APIProblem(
                    status: 502, title: "Microsoft unreachable",
                    detail: "Microsoft 365 could not be reached: \(underlying). Nothing was recorded as done; try again.")
            }
            return APIProblem(status: 500, title: "Internal error", detail: "Turnover failed: \(underlying)")
        }
    }
}
