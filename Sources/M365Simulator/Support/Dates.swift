import Foundation

/// ISO 8601 parsing and the formats Microsoft's services emit.
enum GraphDate {
    /// Parses `2025-01-31T10:00:00Z`, with or without fractional seconds or an offset, and the
    /// zone-less `2025-01-31T10:00:00.0000000` form Outlook uses inside `dateTimeTimeZone`.
    static func parse(_ text: String) -> Date? {
        var candidate = text
        if candidate.count >= 19, !candidate.hasSuffix("Z"), !hasOffset(candidate) { candidate += "Z" }
        if let date = try? Date(candidate, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        if let date = try? Date(candidate, strategy: Date.ISO8601FormatStyle()) { return date }
        // Outlook writes seven fractional digits, more than the parser accepts.
        if let dot = candidate.firstIndex(of: ".") {
            let tail = candidate[dot...]
            let zoneStart = tail.firstIndex { $0 == "Z" || $0 == "+" || $0 == "-" } ?? candidate.endIndex
            let fraction = candidate[candidate.index(after: dot)..<zoneStart].prefix(3)
            let trimmed = String(candidate[..<dot]) + "." + fraction + String(candidate[zoneStart...])
            return try? Date(trimmed, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        if candidate.count == 10, let date = try? Date(candidate + "T00:00:00Z", strategy: Date.ISO8601FormatStyle()) {
            return date
        }
        return nil
    }

    private static func hasOffset(_ text: String) -> Bool {
        guard text.count > 19 else { return false }
        let tail = text.suffix(6)
        return (tail.hasPrefix("+") || tail.hasPrefix("-")) && tail.contains(":")
    }

    /// `2025-01-31T10:00:00Z`, as directory objects carry.
    static func directory(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    /// `2025-01-31T10:00:00.0000000`, as Outlook's `dateTimeTimeZone.dateTime` carries (UTC).
    static func outlook(_ date: Date) -> String {
        let base = date.formatted(Date.ISO8601FormatStyle()).dropLast()
        return base + ".0000000"
    }

    /// `2025-01-31T10:00:00` for innerError.date.
    static func innerError(_ date: Date) -> String {
        String(date.formatted(Date.ISO8601FormatStyle()).dropLast())
    }

    /// RFC 1123, for the HTTP `Date` header.
    static func http(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
