import Foundation

/// The handler for each operation, keyed `METHOD /template` as in the subset.
enum GraphHandlers {
    static let table: [String: GraphHandler] = {
        var table: [String: GraphHandler] = [:]
        for part in [users, userRelations, authentication, groups, directory, mail, devices, files] {
            table.merge(part) { first, _ in first }
        }
        return table
    }()
}

// MARK: - Shared helpers

extension GraphCall {
    /// The user addressed by `{user-id}` (object id or UPN), or Graph's 404.
    func user(in data: TenantData) throws -> DirectoryUser {
        let key = parameter("user-id")
        guard let user = data.user(forKey: key) else { throw GraphError.notFound(key) }
        return user
    }

    func group(in data: TenantData) throws -> DirectoryGroup {
        let key = parameter("group-id")
        guard let group = data.groups[key] ?? data.groups.values.first(where: { $0.id.lowercased() == key.lowercased() }) else {
            throw GraphError.notFound(key)
        }
        return group
    }

    /// The mailbox behind `{user-id}` for Outlook endpoints.
    func mailbox(in data: TenantData) throws -> (DirectoryUser, Mailbox) {
        let user = try user(in: data)
        guard let mailbox = data.mailboxes[user.id] else { throw GraphError.mailboxNotEnabled }
        return (user, mailbox)
    }

    func context(_ fragment: String) -> JSONValue { .string("\(base)/$metadata#\(fragment)") }

    /// Applies `$select` (validated against the entity's schema) to one object.
    func select(_ object: JSONObject, type: String, defaults: [String]? = nil) throws -> JSONObject {
        let fields: [String]
        if let select = query.select {
            try validateSelect(select, type: type)
            fields = select
        } else if let defaults {
            fields = defaults
        } else {
            return object
        }
        var result = JSONObject()
        if let odataType = object["@odata.type"] { result["@odata.type"] = odataType }
        for field in fields {
            if let key = object.caseInsensitiveKey(field) {
                result[key] = object[key]
            } else if query.select != nil {
                result[field] = .null
            }
        }
        return result
    }

    func validateSelect(_ fields: [String], type: String) throws {
        guard let schema = GraphSubset.shared.schema(named: type) else { return }
        let validator = SchemaValidator(subset: .shared)
        var (properties, _) = validator.declaredProperties(of: schema)
        // Derived types' properties are selectable on base collections (directoryObject, authenticationMethod).
        if type == "microsoft.graph.directoryObject" || type == "microsoft.graph.authenticationMethod" {
            for derived in [
                "microsoft.graph.user", "microsoft.graph.group", "microsoft.graph.directoryRole", "microsoft.graph.servicePrincipal",
                "microsoft.graph.device", "microsoft.graph.phoneAuthenticationMethod", "microsoft.graph.emailAuthenticationMethod",
                "microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "microsoft.graph.fido2AuthenticationMethod",
            ] {
                if let derivedSchema = GraphSubset.shared.schema(named: derived) {
                    for (key, value) in validator.declaredProperties(of: derivedSchema).properties { properties[key] = value }
                }
            }
        }
        for field in fields {
            guard let key = properties.caseInsensitiveKey(field) else {
                throw GraphError.badRequest(
                    "Parsing OData Select and Expand failed: Could not find a property named '\(field)' on type '\(type)'.")
            }
            if properties[key]?["x-ms-navigationProperty"] == .bool(true) {
                throw GraphError.badRequest("Parsing OData Select and Expand failed: '\(field)' is a navigation property; use $expand.")
            }
        }
    }

    /// Whether `ConsistencyLevel: eventual` (and `$count=true`) is present when the query needs it.
    func requireAdvancedQueryIfNeeded() throws {
        guard family == .directory, let feature = query.advancedFeature else { return }
        if feature == "$search" {
            guard consistencyEventual else { throw GraphError.unsupportedQuery }
            return
        }
        if feature == "$count" {
            guard consistencyEventual else {
                throw GraphError(
                    status: 400, code: "Request_BadRequest",
                    message: "$count is not currently supported. Use the ConsistencyLevel header set to 'eventual'.")
            }
            return
        }
        guard consistencyEventual, query.count else {
            throw GraphError(
                status: 400, code: "Request_UnsupportedQuery",
                message:
                    "Operator '\(feature)' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header."
            )
        }
    }

    /// Filters, orders, counts, pages and selects a collection, and renders it with `@odata.context`.
    func collection(
        _ items: [JSONObject], type: String, context fragment: String, defaultPageSize: Int = 100, maxPageSize: Int = 999,
        defaults: [String]? = nil, pageable: Bool = true, expansions: [String: Expander] = [:]
    ) throws -> GraphResult {
        try requireAdvancedQueryIfNeeded()
        for expansion in query.expand where expansions[expansion.property.lowercased()] == nil {
            throw GraphError.badRequest(
                "Parsing OData Select and Expand failed: Could not find a property named '\(expansion.property)' on type '\(type)'.")
        }
        var items = items
        if let filter = query.filter {
            let evaluator = FilterEvaluator()
            items = items.filter { evaluator.matches(filter, .object($0)) }
        }
        if let search = query.search {
            // $search="displayName:ann" matches tokens that start with the text.
            let clause = search.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            let parts = clause.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                let needle = parts[1].lowercased()
                items = items.filter { object in
                    guard let value = object[object.caseInsensitiveKey(parts[0]) ?? parts[0]]?.stringValue?.lowercased() else {
                        return false
                    }
                    return value.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).contains { $0.hasPrefix(needle) }
                }
            }
        }
        for (property, descending) in query.orderBy.reversed() {
            items.sort { left, right in
                let a = left[left.caseInsensitiveKey(property) ?? property]?.stringValue ?? ""
                let b = right[right.caseInsensitiveKey(property) ?? property]?.stringValue ?? ""
                return descending ? a.lowercased() > b.lowercased() : a.lowercased() < b.lowercased()
            }
        }
        if countSegment {
            guard family != .directory || consistencyEventual else {
                throw GraphError(
                    status: 400, code: "Request_BadRequest",
                    message: "$count is not currently supported. Use the ConsistencyLevel header set to 'eventual'.")
            }
            return GraphResult(status: 200, body: nil, text: String(items.count))
        }
        let total = items.count
        var offset = 0
        if let token = query.skipToken {
            guard let decoded = Base64URL.decode(token), let text = String(bytes: decoded, encoding: .utf8), text.hasPrefix("sim-offset:"),
                let value = Int(text.dropFirst("sim-offset:".count))
            else {
                throw GraphError.badRequest("The specified page token value has expired and can no longer be included in your request.")
            }
            offset = value
        }
        var pageSize = total
        if pageable {
            if let top = query.top {
                guard top >= 1, top <= maxPageSize else {
                    throw GraphError.badRequest("Invalid page size specified: '\(top)'. Must be between 1 and \(maxPageSize) inclusive.")
                }
                pageSize = top
            } else {
                pageSize = defaultPageSize
            }
        }
        let page = Array(items.dropFirst(offset).prefix(pageSize))
        var selected: [JSONValue] = []
        for item in page {
            var object = try select(item, type: type, defaults: defaults)
            for expansion in query.expand {
                guard let expander = expansions[expansion.property.lowercased()] else { continue }
                object[expansion.property] = Self.project(expander(item), onto: expansion.select)
            }
            selected.append(.object(object))
        }
        var contextFragment = fragment
        if let select = query.select { contextFragment += "(\(select.joined(separator: ",")))" }
        var body = JSONObject([("@odata.context", context(contextFragment))])
        if query.count, offset == 0 { body["@odata.count"] = .int(Int64(total)) }
        if pageable, offset + page.count < total {
            let next = Base64URL.encode(Array("sim-offset:\(offset + page.count)".utf8))
            let options = query.passthrough.map { "\($0.0)=\($0.1)" } + ["$skiptoken=\(next)"]
            body["@odata.nextLink"] = .string("\(base)\(rawPath)?\(options.joined(separator: "&"))")
        }
        body["value"] = .array(selected)
        return .ok(.object(body))
    }

    /// Renders a navigation property inline for `$expand`: the related object or objects of one item.
    typealias Expander = (JSONObject) -> JSONValue

    /// Applies an expansion's nested `$select` to what it expanded (one object or a collection).
    static func project(_ value: JSONValue, onto fields: [String]?) -> JSONValue {
        guard let fields else { return value }
        func subset(_ object: JSONObject) -> JSONValue {
            var result = JSONObject()
            if let odataType = object["@odata.type"] { result["@odata.type"] = odataType }
            for field in fields { result[field] = object[object.caseInsensitiveKey(field) ?? field] ?? .null }
            return .object(result)
        }
        switch value {
        case .object(let object): return subset(object)
        case .array(let items): return .array(items.map { $0.objectValue.map(subset) ?? $0 })
        default: return value
        }
    }

    /// Renders one entity with `@odata.context`.
    func entity(_ object: JSONObject, type: String, context fragment: String, defaults: [String]? = nil) throws -> GraphResult {
        let selected = try select(object, type: type, defaults: defaults)
        var contextFragment = fragment
        if let select = query.select {
            contextFragment = fragment.replacingOccurrences(of: "/$entity", with: "(\(select.joined(separator: ",")))/$entity")
        }
        var body = JSONObject([("@odata.context", context(contextFragment))])
        for (key, value) in selected { body[key] = value }
        return .ok(.object(body))
    }

    /// Reads the id out of an `@odata.id` reference body.
    func referencedId() throws -> String {
        guard let reference = body?["@odata.id"]?.stringValue else {
            throw GraphError.badRequest("The request body must contain '@odata.id' with a reference to a directory object.")
        }
        guard let last = reference.split(separator: "/").last else {
            throw GraphError.badRequest("Invalid object identifier '\(reference)'.")
        }
        return PercentCoding.decode(last)
    }
}

/// Renders a directory object of any kind for mixed collections (memberOf, ownedObjects, members).
extension TenantData {
    func directoryObject(_ id: String) -> JSONValue? {
        if let user = users[id] { return GraphRender.typed(GraphRender.user(user, in: self), "user") }
        if let group = groups[id] { return GraphRender.typed(GraphRender.group(group), "group") }
        if let sp = servicePrincipals.first(where: { $0.id == id }) {
            return GraphRender.typed(GraphRender.servicePrincipal(sp), "servicePrincipal")
        }
        if let device = entraDevices.first(where: { $0.id == id }) { return GraphRender.typed(GraphRender.device(device), "device") }
        return nil
    }
}
