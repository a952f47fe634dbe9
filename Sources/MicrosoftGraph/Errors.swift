public import Foundation

/// A request Microsoft refused, with everything a technician needs to quote to Microsoft support.
public struct MicrosoftAPIError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Service: String, Sendable, Codable { case graph, exchange, sharePoint, token }

    public var service: Service
    public var status: Int
    /// Graph's `error.code` (`Request_ResourceNotFound`, …), Entra's `error` (`invalid_client`), or Exchange's exception type.
    public var code: String
    /// The real message: for Exchange, `innererror.internalexception.message` rather than "Invalid Operation".
    public var message: String
    public var requestId: String?
    public var clientRequestId: String?
    public var date: String?
    /// The operation that failed (method and path template), for reports and logs.
    public var operation: String
    /// Exchange's exception type (`ManagementObjectNotFoundException`), when Exchange names one.
    public var exceptionType: String?

    public init(
        service: Service, status: Int, code: String, message: String, requestId: String? = nil, clientRequestId: String? = nil,
        date: String? = nil, operation: String
    ) {
        self.service = service
        self.status = status
        self.code = code
        self.message = message
        self.requestId = requestId
        self.clientRequestId = clientRequestId
        self.date = date
        self.operation = operation
    }

    public var description: String {
        var text = "\(operation): \(status) \(code): \(message)"
        if let requestId { text += " (request-id \(requestId)" + (date.map { ", \($0)" } ?? "") + ")" }
        return text
    }

    public var isNotFound: Bool { status == 404 }
    public var isThrottled: Bool { status == 429 }
    public var isTransient: Bool { [500, 502, 503, 504].contains(status) }

    /// Decodes Graph's OData error body, Exchange's admin API error body, or Entra's token error.
    static func decode(
        service: Service, status: Int, headers: [(String, String)], body: Data, operation: String
    ) -> MicrosoftAPIError {
        func header(_ name: String) -> String? { headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1 }
        var error = MicrosoftAPIError(
            service: service, status: status, code: "HTTP\(status)", message: HTTPStatusText.reason(status),
            requestId: header("request-id"), clientRequestId: header("client-request-id"), date: header("Date"), operation: operation)
        guard let json = JSONValue.parse(body) else {
            if status == 403, service == .exchange {
                error.message = "Exchange refused the app: it needs Exchange.ManageAsApp and an Exchange Administrator role."
            }
            return error
        }
        if let body = json["error"], body.object != nil {
            error.code = body["code"]?.string ?? error.code
            error.message = body["message"]?.string ?? error.message
            let inner = body["innerError"] ?? body["innererror"]
            error.requestId = inner?["request-id"]?.string ?? error.requestId
            error.clientRequestId = inner?["client-request-id"]?.string ?? error.clientRequestId
            error.date = inner?["date"]?.string ?? error.date
            let detail = body["details"]?.array?.first?["message"]?.string
            if let exception = inner?["internalexception"], let message = exception["message"]?.string,
                !Self.isGenericWrapper(exception["type"]?.string)
            {
                // A parameter-binding error: the real text is in the internal exception.
                error.message = message
                if let type = exception["type"]?.string {
                    error.exceptionType = type
                    error.code = type.split(separator: ".").last.map(String.init) ?? type
                }
            } else if service == .exchange, let detail {
                // A cmdlet-execution error: "Error executing cmdlet", with `ExNNNN|Type|text` in details.
                let parts = Self.exceptionParts(detail)
                error.message = parts.message
                error.exceptionType = parts.type
            }
        } else if let code = json["error"]?.string {
            error.code = code
            error.message = json["error_description"]?.string ?? error.message
            error.requestId = json["trace_id"]?.string ?? error.requestId
            error.clientRequestId = json["correlation_id"]?.string ?? error.clientRequestId
            error.date = json["timestamp"]?.string ?? error.date
        } else if let description = json["error_description"]?.string {
            error.message = description  // SharePoint's token refusals
        } else if let message = json["error"]?["message"]?["value"]?.string ?? json["odata.error"]?["message"]?["value"]?.string {
            error.message = message
            error.code = json["odata.error"]?["code"]?.string ?? error.code
        }
        return error
    }

    /// `Ex6F9304|Microsoft.Exchange.…Exception|The real message` → the type and the message.
    static func exceptionParts(_ message: String) -> (type: String?, message: String) {
        let parts = message.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return (nil, message) }
        return (parts[1].isEmpty ? nil : String(parts[1]), String(parts[2]))
    }

    /// Exchange wraps every cmdlet-execution failure in one generic exception; the real one is in `details`.
    static func isGenericWrapper(_ type: String?) -> Bool {
        type?.hasSuffix("DirectInvokeCmdletExecutionException") == true
    }

    /// What a refusal means for the caller, read from Microsoft's error envelope, so the engine can
    /// switch on it instead of matching text.
    public enum Classification: Sendable, Equatable {
        case notFound
        /// The object, member or grant is already there.
        case alreadyPresent
        /// The member, licence or grant is already gone.
        case alreadyAbsent
        /// Graph refuses to delete the user's default MFA method while others remain.
        case defaultAuthenticationMethod
        /// A licence cannot go while another licence still assigned depends on its service plans.
        case licenceDependency
        /// A group-based licence cannot be removed from the user directly.
        case inheritedLicence
        case forbidden
        case throttled
        case transient
        case other
    }

    public var classification: Classification {
        let type = exceptionType ?? ""
        let text = message.lowercased()
        if status == 404 || code == "NotFound" || code == "Request_ResourceNotFound" || type.hasSuffix("ManagementObjectNotFoundException")
        {
            return .notFound
        }
        if type.hasSuffix("MemberNotFoundException") || type.hasSuffix("UserNotFoundInPermissionEntryException")
            || text.contains("does not have a corresponding license")
            || text.contains("isn't a member")
        {
            return .alreadyAbsent
        }
        if type.hasSuffix("MemberAlreadyExistsException") || type.hasSuffix("ADObjectAlreadyExistsException")
            || type.hasSuffix("UserAlreadyExistsInPermissionEntryException") || code == "Request_MultipleObjectsWithSameKeyValue"
            || text.contains("already exist")
        {
            return .alreadyPresent
        }
        if text.contains("cannot delete default method") || text.contains("current default authentication method") {
            return .defaultAuthenticationMethod
        }
        if text.contains("depends on the service plan") { return .licenceDependency }
        if text.contains("inherited from a group membership") { return .inheritedLicence }
        if status == 403 { return .forbidden }
        if isThrottled { return .throttled }
        if isTransient { return .transient }
        return .other
    }
}

/// The client gave up: attempts or the deadline ran out on throttling, faults or dropped connections.
public struct RetriesExhausted: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var attempts: Int
    public var lastFailure: String
    public var description: String { "\(operation): gave up after \(attempts) attempts; last failure: \(lastFailure)" }
}

enum HTTPStatusText {
    static func reason(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "HTTP \(status)"
        }
    }
}
