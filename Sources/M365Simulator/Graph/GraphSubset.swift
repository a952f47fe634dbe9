import Foundation

/// Microsoft Graph's OpenAPI description of the operations the simulator serves.
///
/// The subset is the authority for three things: which method + path pairs exist (anything
/// else is Graph's 400 for an unknown segment), which application permissions each one
/// accepts, and the shape of request and response bodies.
struct GraphSubset: Sendable {
    struct Operation: Sendable {
        let method: String
        let template: String
        let segments: [String]
        let permissions: [String]
        let successStatus: Int
        let requestSchema: JSONValue?
        let responseSchema: JSONValue?
    }

    let document: JSONValue
    let schemas: JSONObject
    let operations: [Operation]

    static let shared: GraphSubset = {
        do {
            return try GraphSubset(json: embeddedJSON)
        } catch {
            fatalError("The embedded Graph subset does not parse: \(error)")
        }
    }()

    init(json: String) throws {
        document = try JSONValue.parse(json)
        schemas = document["components"]?["schemas"]?.objectValue ?? JSONObject()
        let responses = document["components"]?["responses"]?.objectValue ?? JSONObject()
        var operations: [Operation] = []
        for (path, item) in document["paths"]?.objectValue ?? JSONObject() {
            for (method, spec) in item.objectValue ?? JSONObject() {
                guard ["get", "post", "patch", "put", "delete"].contains(method) else { continue }
                let permissions =
                    spec["x-app-permissions"]?["all"]?.arrayValue?.compactMap(\.stringValue)
                    ?? Self.permissionsMissingFromSubset[method.uppercased() + " " + path] ?? []
                let status = Int(spec["x-documented-success-status"]?.stringValue ?? "") ?? 200
                var responseSchema =
                    spec["responses"]?["2XX"]?["content"]?["application/json"]?["schema"]
                    ?? spec["responses"]?["200"]?["content"]?["application/json"]?["schema"]
                if responseSchema == nil, let ref = spec["responses"]?["2XX"]?["$ref"]?.stringValue {
                    let name = String(ref.split(separator: "/").last ?? "")
                    responseSchema = responses[name]?["content"]?["application/json"]?["schema"]
                }
                operations.append(
                    Operation(
                        method: method.uppercased(),
                        template: path,
                        segments: path.split(separator: "/").map(String.init),
                        permissions: permissions,
                        successStatus: status,
                        requestSchema: spec["requestBody"]?["content"]?["application/json"]?["schema"],
                        responseSchema: responseSchema
                    )
                )
            }
        }
        self.operations = operations
    }

    /// Operations whose permissions are not in Microsoft's permissions file, filled in from the
    /// API reference pages. `resetPassword` is deliberately empty: it is delegated-only.
    static let permissionsMissingFromSubset: [String: [String]] = [
        "GET /users/{user-id}/managedDevices": [
            "DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All",
            "DeviceManagementManagedDevices.PrivilegedOperations.All",
        ],
        "GET /drives/{drive-id}/root": ["Files.Read.All", "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All"],
        "GET /directory/deletedItems/microsoft.graph.user": [
            "User.Read.All", "User.ReadWrite.All", "User.DeleteRestore.All", "Directory.Read.All", "Directory.ReadWrite.All",
        ],
        "GET /directory/deletedItems/{directoryObject-id}": [
            "User.Read.All", "User.ReadWrite.All", "User.DeleteRestore.All", "Directory.Read.All", "Directory.ReadWrite.All",
        ],
        "DELETE /directory/deletedItems/{directoryObject-id}": ["User.DeleteRestore.All", "User.ReadWrite.All", "Directory.ReadWrite.All"],
        "POST /users/{user-id}/authentication/methods/{authenticationMethod-id}/resetPassword": [],
    ]

    func schema(named name: String) -> JSONValue? {
        schemas[name]
    }
}

// MARK: - Validation

/// Checks a JSON value against an OpenAPI 3.0 schema from the subset.
///
/// Strict about what Graph is strict about: unknown properties, wrong JSON types, enum members,
/// GUID and date-time formats, Int32 ranges. A derived type named by `@odata.type` is validated
/// against that type. Instance annotations (`@odata.*`, `x@odata.bind`) are accepted.
struct SchemaValidator {
    struct Violation: Error, Equatable, CustomStringConvertible {
        enum Kind: Equatable { case unknownProperty, wrongType, invalidValue, navigationProperty }
        let kind: Kind
        let path: String
        let property: String
        let typeName: String
        let detail: String
        var description: String { "\(path.isEmpty ? "$" : path): \(detail)" }
    }

    let subset: GraphSubset
    /// Whether navigation properties may appear inline (true for responses with `$expand`).
    var allowNavigationProperties = false

    func validate(_ value: JSONValue, against schema: JSONValue, path: String = "") throws(Violation) {
        try check(value, schema, path: path, typeName: "")
    }

    private func resolve(_ schema: JSONValue) -> JSONValue {
        var current = schema
        var hops = 0
        while let ref = current["$ref"]?.stringValue, hops < 32 {
            let name = String(ref.split(separator: "/").last ?? "")
            guard let target = subset.schema(named: name) else { return .object(JSONObject()) }
            current = target
            hops += 1
        }
        return current
    }

    private func typeName(of schema: JSONValue) -> String {
        if let ref = schema["$ref"]?.stringValue { return String(ref.split(separator: "/").last ?? "") }
        if let discriminator = schema["allOf"]?.arrayValue?.last?["x-ms-discriminator-value"]?.stringValue {
            return String(discriminator.dropFirst())
        }
        return schema["x-ms-discriminator-value"]?.stringValue.map { String($0.dropFirst()) } ?? ""
    }

    /// The object properties a schema declares, following `allOf` chains.
    func declaredProperties(of schema: JSONValue) -> (properties: JSONObject, open: Bool) {
        let resolved = resolve(schema)
        var result = JSONObject()
        var open = false
        if let properties = resolved["properties"]?.objectValue {
            for (key, value) in properties { result[key] = value }
        }
        if let additional = resolved["additionalProperties"], additional != .bool(false) { open = true }
        for part in resolved["allOf"]?.arrayValue ?? [] {
            let nested = declaredProperties(of: part)
            for (key, value) in nested.properties { result[key] = value }
            open = open || nested.open
        }
        return (result, open)
    }

    private func isNullMarker(_ schema: JSONValue) -> Bool {
        schema["type"]?.stringValue == "object" && schema["properties"] == nil && schema["nullable"] == .bool(true)
            && schema["allOf"] == nil
    }

    private func isNullable(_ schema: JSONValue) -> Bool {
        let resolved = resolve(schema)
        if resolved["nullable"] == .bool(true) { return true }
        for branch in resolved["anyOf"]?.arrayValue ?? [] where isNullable(branch) { return true }
        for branch in resolved["oneOf"]?.arrayValue ?? [] where isNullable(branch) { return true }
        return false
    }

    private func check(_ value: JSONValue, _ rawSchema: JSONValue, path: String, typeName parentType: String) throws(Violation) {
        let name = typeName(of: rawSchema).isEmpty ? parentType : typeName(of: rawSchema)
        let schema = resolve(rawSchema)
        if case .null = value {
            if isNullable(rawSchema) || schema.objectValue?.isEmpty == true { return }
            throw Violation(kind: .wrongType, path: path, property: lastComponent(path), typeName: name, detail: "null is not allowed")
        }
        for key in ["anyOf", "oneOf"] {
            guard let branches = schema[key]?.arrayValue else { continue }
            let meaningful = branches.filter { !isNullMarker($0) }
            var firstFailure: Violation?
            for branch in meaningful {
                do {
                    try check(value, branch, path: path, typeName: name)
                    return
                } catch {
                    if firstFailure == nil { firstFailure = error }
                }
            }
            if let firstFailure { throw firstFailure }
            return
        }
        let declaredType =
            schema["type"]?.stringValue
            ?? (schema["allOf"] != nil || schema["properties"] != nil ? "object" : nil)
        switch declaredType {
        case "object":
            guard case .object(let object) = value else {
                throw Violation(
                    kind: .wrongType, path: path, property: lastComponent(path), typeName: name,
                    detail: "expected an object, found \(value.typeName)")
            }
            try checkObject(object, schema, path: path, typeName: name)
        case "array":
            guard case .array(let items) = value else {
                throw Violation(
                    kind: .wrongType, path: path, property: lastComponent(path), typeName: name,
                    detail: "expected an array, found \(value.typeName)")
            }
            if let maxItems = schema["maxItems"]?.intValue, items.count > maxItems {
                throw Violation(
                    kind: .invalidValue, path: path, property: lastComponent(path), typeName: name,
                    detail: "more than \(maxItems) items")
            }
            if let itemSchema = schema["items"] {
                for (offset, item) in items.enumerated() {
                    try check(item, itemSchema, path: "\(path)[\(offset)]", typeName: name)
                }
            }
        case "string":
            guard case .string(let string) = value else {
                throw Violation(
                    kind: .wrongType, path: path, property: lastComponent(path), typeName: name,
                    detail: "expected a string, found \(value.typeName)")
            }
            if let members = schema["enum"]?.arrayValue?.compactMap(\.stringValue), !members.contains(string) {
                throw Violation(
                    kind: .invalidValue, path: path, property: lastComponent(path), typeName: name,
                    detail: "'\(string)' is not a member of \(name.isEmpty ? "the enumeration" : name)")
            }
            switch schema["format"]?.stringValue {
            case "uuid":
                guard UUID(uuidString: string) != nil else {
                    throw Violation(
                        kind: .invalidValue, path: path, property: lastComponent(path), typeName: name,
                        detail: "'\(string)' is not a GUID")
                }
            case "date-time":
                guard GraphDate.parse(string) != nil else {
                    throw Violation(
                        kind: .invalidValue, path: path, property: lastComponent(path), typeName: name,
                        detail: "'\(string)' is not a date-time")
                }
            default:
                break
            }
        case "boolean":
            guard case .bool = value else {
                throw Violation(
                    kind: .wrongType, path: path, property: lastComponent(path), typeName: name,
                    detail: "expected a boolean, found \(value.typeName)")
            }
        case "integer", "number":
            guard let number = value.doubleValue else {
                throw Violation(
                    kind: .wrongType, path: path, property: lastComponent(path), typeName: name,
                    detail: "expected a number, found \(value.typeName)")
            }
            let format = schema["format"]?.stringValue
            if declaredType == "integer" || format == "int32" || format == "int64" {
                guard value.intValue != nil else {
                    throw Violation(
                        kind: .wrongType, path: path, property: lastComponent(path), typeName: name,
                        detail: "expected an integer, found \(number)")
                }
            }
            if let minimum = schema["minimum"]?.doubleValue, number < minimum {
                throw Violation(kind: .invalidValue, path: path, property: lastComponent(path), typeName: name, detail: "below \(minimum)")
            }
            if let maximum = schema["maximum"]?.doubleValue, number > maximum {
                throw Violation(kind: .invalidValue, path: path, property: lastComponent(path), typeName: name, detail: "above \(maximum)")
            }
        default:
            break  // an untyped schema accepts any value
        }
    }

    private func checkObject(_ object: JSONObject, _ schema: JSONValue, path: String, typeName: String) throws(Violation) {
        var effectiveSchema = schema
        var effectiveType = typeName
        if let odataType = object["@odata.type"]?.stringValue, odataType.hasPrefix("#") {
            let derivedName = String(odataType.dropFirst())
            if derivedName != typeName, let derived = subset.schema(named: derivedName) {
                effectiveSchema = derived
                effectiveType = derivedName
            }
        }
        let (properties, open) = declaredProperties(of: effectiveSchema)
        for (key, value) in object {
            if key.contains("@") { continue }  // instance annotations and @odata.bind
            guard let propertySchema = properties[key] else {
                if open { continue }
                throw Violation(
                    kind: .unknownProperty, path: join(path, key), property: key, typeName: effectiveType,
                    detail: "property '\(key)' does not exist on type '\(effectiveType)'")
            }
            if propertySchema["x-ms-navigationProperty"] == .bool(true), !allowNavigationProperties {
                throw Violation(
                    kind: .navigationProperty, path: join(path, key), property: key, typeName: effectiveType,
                    detail: "'\(key)' is a navigation property of '\(effectiveType)' and cannot be set inline")
            }
            try check(value, propertySchema, path: join(path, key), typeName: "")
        }
        for required in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[required] == nil {
            throw Violation(
                kind: .invalidValue, path: join(path, required), property: required, typeName: effectiveType,
                detail: "required property '\(required)' is missing")
        }
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func lastComponent(_ path: String) -> String {
        String(path.split(separator: ".").last ?? Substring(path))
    }
}
