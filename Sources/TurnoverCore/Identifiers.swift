public import Foundation

/// A run of an offboarding, as stored and shown to technicians.
public struct RunID: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    /// Short, sortable by time, unique enough for one installation: `r-20261124-0612-3fa9c1`.
    public static func make(now: Date) -> RunID {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let suffix = UUID().uuidString.prefix(6).lowercased()
        return RunID("r-\(formatter.string(from: now))-\(suffix)")
    }
}

/// A step inside a plan: its kind plus the object it acts on (`leave-group:{groupId}`).
public struct StepID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(_ kind: StepKind, target: String? = nil) { rawValue = target.map { "\(kind.rawValue):\($0)" } ?? kind.rawValue }
    public var description: String { rawValue }
    public static func < (lhs: StepID, rhs: StepID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Typed identifiers read and write as plain strings, so reports and stored records stay readable.
public protocol StringIdentifier: Codable {
    var rawValue: String { get }
    init(_ rawValue: String)
}

extension StringIdentifier {
    public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension RunID: StringIdentifier {}
extension StepID: StringIdentifier {}

/// An offboarding submitted to `turnover serve`: the plan waiting for approval, then its run.
public struct OffboardingID: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral, StringIdentifier {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    /// `o-20261124-061200-3fa9c1`: sortable by time like run ids, told apart from them by the prefix.
    public static func make(now: Date) -> OffboardingID {
        OffboardingID("o" + RunID.make(now: now).rawValue.dropFirst())
    }
}

/// An operator of `turnover serve`, by the name they sign in with.
public struct OperatorName: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral, StringIdentifier {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }
}
