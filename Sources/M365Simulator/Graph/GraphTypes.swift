import Foundation

/// A Graph error response: status, OData code and message, extra headers.
struct GraphError: Error, Sendable {
    var status: Int
    var code: String
    var message: String
    var headers: [(String, String)] = []
    var details: [JSONValue] = []

    static func badRequest(_ message: String) -> GraphError {
        GraphError(status: 400, code: "Request_BadRequest", message: message)
    }

    static func notFound(_ key: String) -> GraphError {
        GraphError(
            status: 404, code: "Request_ResourceNotFound",
            message: "Resource '\(key)' does not exist or one of its queried reference-property objects are not present.")
    }

    static let denied = GraphError(
        status: 403, code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation.")

    static func unknownSegment(_ segment: String) -> GraphError {
        GraphError(status: 400, code: "BadRequest", message: "Resource not found for the segment '\(segment)'.")
    }

    static let methodNotAllowed = GraphError(
        status: 405, code: "Request_BadRequest", message: "Specified HTTP method is not allowed for the request target.")

    static let outlookNotFound = GraphError(
        status: 404, code: "ErrorItemNotFound", message: "The specified object was not found in the store.")

    static let mailboxNotEnabled = GraphError(
        status: 404, code: "MailboxNotEnabledForRESTAPI", message: "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")

    static let outlookAccessDenied = GraphError(
        status: 403, code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again.")

    static let unsupportedQuery = GraphError(
        status: 400, code: "Request_UnsupportedQuery",
        message: "Unsupported Query. Advanced query capabilities require the ConsistencyLevel header set to 'eventual' and $count=true.")
}

/// What a handler returns: a status and a JSON body (or none).
struct GraphResult: Sendable {
    var status: Int
    var body: JSONValue?
    var text: String?
    var headers: [(String, String)] = []

    static let noContent = GraphResult(status: 204, body: nil)
    static let accepted = GraphResult(status: 202, body: nil)

    static func ok(_ body: JSONValue) -> GraphResult { GraphResult(status: 200, body: body) }
}

/// Which Microsoft service family behind Graph serves an operation; it decides error codes,
/// throttling and permission error shapes.
enum GraphFamily: Sendable {
    case directory, outlook, intune, files, reports

    static func of(template: String) -> GraphFamily {
        if template.contains("/mailFolders") || template.hasSuffix("/mailboxSettings") || template.contains("/events")
            || template.hasSuffix("/sendMail")
        {
            return .outlook
        }
        if template.hasPrefix("/deviceManagement") || template.hasSuffix("/managedDevices") { return .intune }
        if template.hasPrefix("/drives") || template.hasSuffix("/drive") { return .files }
        if template.hasPrefix("/auditLogs") { return .reports }
        return .directory
    }
}
