import Foundation

/// The OData system query options of one Graph request.
struct ODataQuery: Sendable {
    var select: [String]?
    var expand: [Expansion] = []
    var filter: FilterExpression?
    var filterText: String?
    var top: Int?
    var skipToken: String?
    var count = false
    var orderBy: [(property: String, descending: Bool)] = []
    var search: String?
    var deltaToken: String?
    /// Every option except `$skiptoken`, percent-encoded, to rebuild `@odata.nextLink`.
    var passthrough: [(String, String)] = []

    struct Expansion: Sendable {
        var property: String
        var select: [String]?
    }

    static func parse(rawQuery: String?) throws(GraphError) -> ODataQuery {
        var query = ODataQuery()
        guard let rawQuery, !rawQuery.isEmpty else { return query }
        for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let rawName = String(parts[0])
            let rawValue = parts.count > 1 ? String(parts[1]) : ""
            let name = PercentCoding.decodeQuery(rawName)
            let value = PercentCoding.decodeQuery(rawValue)
            let option = name.hasPrefix("$") ? name.lowercased() : "$" + name.lowercased()
            switch option {
            case "$select":
                query.select = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            case "$expand":
                query.expand = try parseExpand(value)
            case "$filter":
                query.filterText = value
                query.filter = try FilterParser.parse(value)
            case "$top":
                guard let top = Int(value), top >= 0 else {
                    throw GraphError.badRequest("Invalid page size specified: '\(value)'. Must be between 1 and 999 inclusive.")
                }
                query.top = top
            case "$skiptoken":
                query.skipToken = value
                continue
            case "$count":
                guard value == "true" || value == "false" else { throw GraphError.badRequest("Invalid value '\(value)' for $count.") }
                query.count = value == "true"
            case "$orderby":
                query.orderBy = value.split(separator: ",").map { clause in
                    let words = clause.split(separator: " ").map(String.init)
                    return (words.first ?? "", words.count > 1 && words[1].lowercased() == "desc")
                }
            case "$search":
                query.search = value
            case "$skip":
                throw GraphError(status: 400, code: "Request_BadRequest", message: "'$skip' is not supported by the service.")
            case "$deltatoken":
                query.deltaToken = value
                continue
            case "$format":
                break
            default:
                if name.hasPrefix("$") {
                    throw GraphError.badRequest("Query option '\(name)' is not allowed. Make sure that the query option is supported.")
                }
                continue  // other parameters are ignored, as Graph does
            }
            query.passthrough.append((rawName, rawValue))
        }
        return query
    }

    private static func parseExpand(_ text: String) throws(GraphError) -> [Expansion] {
        var result: [Expansion] = []
        var depth = 0
        var current = ""
        for character in text + "," {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == ",", depth == 0 {
                let item = current.trimmingCharacters(in: .whitespaces)
                current = ""
                guard !item.isEmpty else { continue }
                if let open = item.firstIndex(of: "("), item.hasSuffix(")") {
                    let property = String(item[..<open])
                    let inner = item[item.index(after: open)..<item.index(before: item.endIndex)]
                    var select: [String]?
                    for option in inner.split(separator: ";") {
                        let parts = option.split(separator: "=", maxSplits: 1)
                        guard parts.count == 2, parts[0].lowercased() == "$select" else {
                            throw GraphError.badRequest("Only $select is supported inside $expand.")
                        }
                        select = parts[1].split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                    }
                    result.append(Expansion(property: property, select: select))
                } else {
                    result.append(Expansion(property: item, select: nil))
                }
                continue
            }
            current.append(character)
        }
        return result
    }

    /// Whether the query needs Graph's advanced query capabilities on directory objects.
    var advancedFeature: String? {
        if let filter, let feature = filter.advancedFeature { return feature }
        if search != nil { return "$search" }
        if !orderBy.isEmpty, filter != nil { return "$orderby with $filter" }
        if count { return "$count" }
        return nil
    }
}

enum PercentCoding {
    /// Decodes `%XX` sequences; `+` becomes a space only in query strings.
    static func decode(_ text: some StringProtocol, plusIsSpace: Bool = false) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else if plusIsSpace, byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func decodeQuery(_ text: some StringProtocol) -> String { decode(text, plusIsSpace: true) }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func encode(_ text: String, keeping extra: String = "") -> String {
        let keep = unreserved.union(extra.utf8)
        var output = ""
        for byte in text.utf8 {
            if keep.contains(byte) {
                output.append(Character(Unicode.Scalar(byte)))
            } else {
                output += String(format: "%%%02X", byte)
            }
        }
        return output
    }
}

// MARK: - $filter

/// A parsed `$filter` expression.
indirect enum FilterExpression: Sendable {
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)
    case compare(FilterOperand, String, FilterOperand)
    case membership(FilterOperand, [FilterOperand])
    case function(String, [FilterOperand])
    case lambda(path: [String], kind: String, variable: String, body: FilterExpression)

    var advancedFeature: String? {
        switch self {
        case .and(let left, let right), .or(let left, let right): return left.advancedFeature ?? right.advancedFeature
        case .not: return "not"
        case .compare(_, let op, _): return op == "ne" ? "ne" : nil
        case .function(let name, _): return name == "endswith" ? "endsWith" : nil
        case .membership: return nil
        case .lambda(_, _, _, let body): return body.advancedFeature
        }
    }
}

enum FilterOperand: Sendable {
    case property([String])
    case literal(JSONValue)
    case function(String, [FilterOperand])
}

enum FilterParser {
    private enum Token: Equatable {
        case identifier(String)
        case string(String)
        case number(String)
        case open, close, comma, colon
    }

    static func parse(_ text: String) throws(GraphError) -> FilterExpression {
        var tokens = try tokenize(text)[...]
        let expression = try parseOr(&tokens)
        guard tokens.isEmpty else { throw invalid(text) }
        return expression
    }

    private static func invalid(_ text: String) -> GraphError {
        GraphError.badRequest("Invalid filter clause: syntax error in '\(text)'.")
    }

    private static func tokenize(_ text: String) throws(GraphError) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == " " {
                index += 1
            } else if character == "(" {
                tokens.append(.open)
                index += 1
            } else if character == ")" {
                tokens.append(.close)
                index += 1
            } else if character == "," {
                tokens.append(.comma)
                index += 1
            } else if character == ":" {
                tokens.append(.colon)
                index += 1
            } else if character == "'" {
                var value = ""
                index += 1
                var closed = false
                while index < characters.count {
                    if characters[index] == "'" {
                        if index + 1 < characters.count, characters[index + 1] == "'" {
                            value.append("'")
                            index += 2
                            continue
                        }
                        index += 1
                        closed = true
                        break
                    }
                    value.append(characters[index])
                    index += 1
                }
                guard closed else { throw GraphError.badRequest("Invalid filter clause: unterminated string literal.") }
                tokens.append(.string(value))
            } else if character.isNumber || (character == "-" && index + 1 < characters.count && characters[index + 1].isNumber) {
                var value = String(character)
                index += 1
                while index < characters.count,
                    characters[index].isNumber || characters[index].isLetter || "-:.".contains(characters[index])
                {
                    value.append(characters[index])
                    index += 1
                }
                tokens.append(.number(value))
            } else if character.isLetter || character == "_" || character == "@" {
                var value = ""
                while index < characters.count,
                    characters[index].isLetter || characters[index].isNumber || "_/.@".contains(characters[index])
                {
                    value.append(characters[index])
                    index += 1
                }
                tokens.append(.identifier(value))
            } else {
                throw GraphError.badRequest("Invalid filter clause: unexpected character '\(character)'.")
            }
        }
        return tokens
    }

    private static func parseOr(_ tokens: inout ArraySlice<Token>) throws(GraphError) -> FilterExpression {
        var left = try parseAnd(&tokens)
        while tokens.first == .identifier("or") {
            tokens.removeFirst()
            left = .or(left, try parseAnd(&tokens))
        }
        return left
    }

    private static func parseAnd(_ tokens: inout ArraySlice<Token>) throws(GraphError) -> FilterExpression {
        var left = try parseUnary(&tokens)
        while tokens.first == .identifier("and") {
            tokens.removeFirst()
            left = .and(left, try parseUnary(&tokens))
        }
        return left
    }

    private static func parseUnary(_ tokens: inout ArraySlice<Token>) throws(GraphError) -> FilterExpression {
        if tokens.first == .identifier("not") {
            tokens.removeFirst()
            return .not(try parseUnary(&tokens))
        }
        if tokens.first == .open {
            tokens.removeFirst()
            let inner = try parseOr(&tokens)
            guard tokens.popFirst() == .close else { throw GraphError.badRequest("Invalid filter clause: missing ')'.") }
            return inner
        }
        let left = try parseOperand(&tokens)
        if case .identifier(let word) = tokens.first {
            let op = word.lowercased()
            if ["eq", "ne", "gt", "ge", "lt", "le"].contains(op) {
                tokens.removeFirst()
                return .compare(left, op, try parseOperand(&tokens))
            }
            if op == "in" {
                tokens.removeFirst()
                guard tokens.popFirst() == .open else { throw GraphError.badRequest("Invalid filter clause: 'in' needs a list.") }
                var items: [FilterOperand] = []
                while tokens.first != .close {
                    items.append(try parseOperand(&tokens))
                    if tokens.first == .comma { tokens.removeFirst() }
                    if tokens.isEmpty { throw GraphError.badRequest("Invalid filter clause: missing ')'.") }
                }
                tokens.removeFirst()
                return .membership(left, items)
            }
        }
        switch left {
        case .function(let name, let arguments): return .function(name, arguments)
        case .property(let path):
            // `assignedLicenses/any(x:x/skuId eq …)` arrives as a property path ending in any/all.
            if let last = path.last?.lowercased(), last == "any" || last == "all", tokens.first == .open {
                tokens.removeFirst()
                guard case .identifier(let variable) = tokens.popFirst(), tokens.popFirst() == .colon else {
                    throw GraphError.badRequest("Invalid filter clause: malformed lambda expression.")
                }
                let body = try parseOr(&tokens)
                guard tokens.popFirst() == .close else { throw GraphError.badRequest("Invalid filter clause: missing ')'.") }
                return .lambda(path: Array(path.dropLast()), kind: last, variable: variable, body: body)
            }
            throw GraphError.badRequest("Invalid filter clause: '\(path.joined(separator: "/"))' is not a boolean expression.")
        case .literal:
            throw GraphError.badRequest("Invalid filter clause: a literal is not a boolean expression.")
        }
    }

    private static func parseOperand(_ tokens: inout ArraySlice<Token>) throws(GraphError) -> FilterOperand {
        guard let token = tokens.popFirst() else { throw GraphError.badRequest("Invalid filter clause: expression ends early.") }
        switch token {
        case .string(let value): return .literal(.string(value))
        case .number(let value):
            if let integer = Int64(value) { return .literal(.int(integer)) }
            if let double = Double(value) { return .literal(.double(double)) }
            return .literal(.string(value))  // GUIDs and date-times are bare literals
        case .identifier(let word):
            switch word.lowercased() {
            case "true": return .literal(.bool(true))
            case "false": return .literal(.bool(false))
            case "null": return .literal(.null)
            default: break
            }
            if UUID(uuidString: word) != nil { return .literal(.string(word)) }
            let function = word.lowercased()
            if ["startswith", "endswith", "contains", "tolower", "toupper"].contains(function), tokens.first == .open {
                tokens.removeFirst()
                var arguments: [FilterOperand] = []
                while tokens.first != .close {
                    arguments.append(try parseOperand(&tokens))
                    if tokens.first == .comma { tokens.removeFirst() }
                    if tokens.isEmpty { throw GraphError.badRequest("Invalid filter clause: missing ')'.") }
                }
                tokens.removeFirst()
                return .function(function, arguments)
            }
            let segments = word.split(separator: "/").map(String.init)
            if segments.count >= 2, let last = segments.last?.lowercased(), last == "any" || last == "all" {
                return .property(segments)
            }
            return .property(segments)
        default:
            throw GraphError.badRequest("Invalid filter clause: unexpected token.")
        }
    }
}

/// Evaluates a filter against an entity rendered as JSON.
struct FilterEvaluator {
    var variables: [String: JSONValue] = [:]

    func matches(_ expression: FilterExpression, _ entity: JSONValue) -> Bool {
        switch expression {
        case .and(let left, let right): return matches(left, entity) && matches(right, entity)
        case .or(let left, let right): return matches(left, entity) || matches(right, entity)
        case .not(let inner): return !matches(inner, entity)
        case .compare(let left, let op, let right):
            return compare(value(left, entity), op, value(right, entity))
        case .membership(let left, let items):
            let candidate = value(left, entity)
            return items.contains { compare(candidate, "eq", value($0, entity)) }
        case .function(let name, let arguments):
            return value(.function(name, arguments), entity) == .bool(true)
        case .lambda(let path, let kind, let variable, let body):
            let collection = lookup(path, in: entity).arrayValue ?? []
            let test: (JSONValue) -> Bool = { element in
                var scoped = self
                scoped.variables[variable.lowercased()] = element
                return scoped.matches(body, entity)
            }
            return kind == "any" ? collection.contains(where: test) : collection.allSatisfy(test)
        }
    }

    private func value(_ operand: FilterOperand, _ entity: JSONValue) -> JSONValue {
        switch operand {
        case .literal(let literal): return literal
        case .property(let path):
            if let first = path.first, let bound = variables[first.lowercased()] {
                return path.count == 1 ? bound : lookup(Array(path.dropFirst()), in: bound)
            }
            return lookup(path, in: entity)
        case .function(let name, let arguments):
            let values = arguments.map { value($0, entity) }
            switch name {
            case "tolower": return values.first?.stringValue.map { .string($0.lowercased()) } ?? .null
            case "toupper": return values.first?.stringValue.map { .string($0.uppercased()) } ?? .null
            default:
                guard values.count == 2 else { return .bool(false) }
                if let array = values[0].arrayValue, name == "startswith" {
                    // startswith on a collection (proxyAddresses) matches any element.
                    return .bool(
                        array.contains { ($0.stringValue ?? "").lowercased().hasPrefix((values[1].stringValue ?? "").lowercased()) })
                }
                guard let subject = values[0].stringValue?.lowercased(), let argument = values[1].stringValue?.lowercased() else {
                    return .bool(false)
                }
                switch name {
                case "startswith": return .bool(subject.hasPrefix(argument))
                case "endswith": return .bool(subject.hasSuffix(argument))
                case "contains": return .bool(subject.contains(argument))
                default: return .bool(false)
                }
            }
        }
    }

    func lookup(_ path: [String], in value: JSONValue) -> JSONValue {
        var current = value
        for segment in path {
            guard let object = current.objectValue, let key = object.caseInsensitiveKey(segment), let next = object[key] else {
                return .null
            }
            current = next
        }
        return current
    }

    private func compare(_ left: JSONValue, _ op: String, _ right: JSONValue) -> Bool {
        if case .array(let items) = left, op == "eq" {
            return items.contains { compare($0, "eq", right) }
        }
        switch (left, right) {
        case (.string(let a), .string(let b)):
            if let dateA = GraphDate.parse(a), let dateB = GraphDate.parse(b), a.count >= 10, b.count >= 10 {
                return order(dateA.timeIntervalSince1970, dateB.timeIntervalSince1970, op)
            }
            let lhs = a.lowercased()
            let rhs = b.lowercased()
            switch op {
            case "eq": return lhs == rhs
            case "ne": return lhs != rhs
            case "gt": return lhs > rhs
            case "ge": return lhs >= rhs
            case "lt": return lhs < rhs
            case "le": return lhs <= rhs
            default: return false
            }
        case (.bool(let a), .bool(let b)):
            return op == "eq" ? a == b : op == "ne" ? a != b : false
        case (.null, .null):
            return op == "eq"
        case (.null, _), (_, .null):
            return op == "ne"
        default:
            if let a = left.doubleValue, let b = right.doubleValue { return order(a, b, op) }
            return op == "ne"
        }
    }

    private func order(_ a: Double, _ b: Double, _ op: String) -> Bool {
        switch op {
        case "eq": return a == b
        case "ne": return a != b
        case "gt": return a > b
        case "ge": return a >= b
        case "lt": return a < b
        case "le": return a <= b
        default: return false
        }
    }
}
