public import Foundation

/// A JSON value: typed step parameters and before-states as they are stored in a run, readable in
/// `plan --json` and the report, and decoded back into each step's own `Codable` types.
public enum StepValue: Sendable, Equatable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([StepValue])
    case object([String: StepValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([StepValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: StepValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The JSON form of a `Codable` value. Step parameters are plain structs, so this cannot fail
    /// for them; anything that does is a programming error caught by the step's unit tests.
    public static func encoding<T: Encodable>(_ value: T) -> StepValue {
        do {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            return try JSONDecoder().decode(StepValue.self, from: encoder.encode(value))
        } catch {
            preconditionFailure("cannot encode \(T.self) as a step value: \(error)")
        }
    }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: JSONEncoder().encode(self))
    }

    public subscript(key: String) -> StepValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
