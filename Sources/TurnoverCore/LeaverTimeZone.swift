public import Foundation

/// The leaver's own time zone, so "the end of their last day" is their evening, not the
/// technician's: the mailbox's regional configuration (Exchange stores a Windows zone name there),
/// else the main zone of the account's `usageLocation`, else the tenant's default. Which source
/// decided is kept, so the plan can say it.
public struct LeaverTimeZone: Sendable, Equatable, Codable {
    public enum Source: String, Sendable, Codable {
        case mailbox = "the mailbox's regional configuration"
        case usageLocation = "the account's usage location"
        case tenantDefault = "the tenant's default"
    }

    /// The IANA identifier ("Asia/Tokyo").
    public var identifier: String
    public var source: Source
    /// What the source said ("Tokyo Standard Time", "GB").
    public var detail: String

    public var timeZone: TimeZone { TimeZone(identifier: identifier) ?? .gmt }

    public static func resolve(mailboxTimeZone: String?, usageLocation: String?, tenantDefault: String) -> LeaverTimeZone {
        if let windows = mailboxTimeZone?.trimmingCharacters(in: .whitespaces), !windows.isEmpty {
            if let iana = windowsZones[windows] ?? (TimeZone(identifier: windows) != nil ? windows : nil) {
                return LeaverTimeZone(identifier: iana, source: .mailbox, detail: windows)
            }
        }
        if let country = usageLocation?.uppercased(), let iana = countryZones[country] {
            return LeaverTimeZone(identifier: iana, source: .usageLocation, detail: country)
        }
        let fallback = TimeZone(identifier: tenantDefault) != nil ? tenantDefault : "UTC"
        return LeaverTimeZone(identifier: fallback, source: .tenantDefault, detail: tenantDefault)
    }

    /// The instant a wall-clock time on `day` (yyyy-MM-dd) names in this zone. A time that a
    /// daylight-saving change skips moves forward by the gap; one it repeats is its first occurrence.
    public func instant(day: String, time: String) -> Date? {
        let dayParts = day.split(separator: "-").compactMap { Int($0) }
        let timeParts = time.split(separator: ":").compactMap { Int($0) }
        guard dayParts.count == 3, timeParts.count == 2, (0...23).contains(timeParts[0]), (0...59).contains(timeParts[1]) else {
            return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(
            year: dayParts[0], month: dayParts[1], day: dayParts[2], hour: timeParts[0], minute: timeParts[1])
        // A day that does not exist (February 30) would roll over; it is refused instead.
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == dayParts[2] else { return nil }
        return date
    }

    /// A sentence for the plan: when, in the leaver's zone and in UTC, and why that zone.
    public func describe(_ instant: Date) -> String {
        let local = instant.formatted(
            Date.VerbatimFormatStyle(
                format:
                    "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)",
                timeZone: timeZone, calendar: Calendar(identifier: .gregorian)))
        let utc = ISO8601DateFormatter.string(from: instant, timeZone: .gmt, formatOptions: [.withInternetDateTime])
        return "\(local) \(identifier) (\(utc)), the zone of \(source.rawValue) (\(detail))"
    }

    /// Exchange's Windows zone names, by the IANA zone CLDR maps each to (windowsZones.xml, territory 001).
    static let windowsZones: [String: String] = [
        "Dateline Standard Time": "Etc/GMT+12", "Hawaiian Standard Time": "Pacific/Honolulu", "Alaskan Standard Time": "America/Anchorage",
        "Pacific Standard Time": "America/Los_Angeles", "US Mountain Standard Time": "America/Phoenix",
        "Mountain Standard Time": "America/Denver", "Central Standard Time": "America/Chicago",
        "Central America Standard Time": "America/Guatemala", "Canada Central Standard Time": "America/Regina",
        "Central Standard Time (Mexico)": "America/Mexico_City", "Eastern Standard Time": "America/New_York",
        "US Eastern Standard Time": "America/Indiana/Indianapolis", "SA Pacific Standard Time": "America/Bogota",
        "Atlantic Standard Time": "America/Halifax", "Newfoundland Standard Time": "America/St_Johns",
        "E. South America Standard Time": "America/Sao_Paulo", "Argentina Standard Time": "America/Argentina/Buenos_Aires",
        "UTC": "Etc/UTC", "GMT Standard Time": "Europe/London", "Greenwich Standard Time": "Atlantic/Reykjavik",
        "W. Europe Standard Time": "Europe/Berlin", "Central Europe Standard Time": "Europe/Budapest",
        "Romance Standard Time": "Europe/Paris", "Central European Standard Time": "Europe/Warsaw",
        "W. Central Africa Standard Time": "Africa/Lagos", "GTB Standard Time": "Europe/Bucharest",
        "E. Europe Standard Time": "Europe/Chisinau", "FLE Standard Time": "Europe/Kiev", "Israel Standard Time": "Asia/Jerusalem",
        "South Africa Standard Time": "Africa/Johannesburg", "Egypt Standard Time": "Africa/Cairo",
        "Turkey Standard Time": "Europe/Istanbul", "Russian Standard Time": "Europe/Moscow", "Arab Standard Time": "Asia/Riyadh",
        "Arabian Standard Time": "Asia/Dubai", "Iran Standard Time": "Asia/Tehran", "Pakistan Standard Time": "Asia/Karachi",
        "India Standard Time": "Asia/Kolkata", "Nepal Standard Time": "Asia/Kathmandu", "Bangladesh Standard Time": "Asia/Dhaka",
        "SE Asia Standard Time": "Asia/Bangkok", "China Standard Time": "Asia/Shanghai", "Singapore Standard Time": "Asia/Singapore",
        "Taipei Standard Time": "Asia/Taipei", "W. Australia Standard Time": "Australia/Perth", "Tokyo Standard Time": "Asia/Tokyo",
        "Korea Standard Time": "Asia/Seoul", "Cen. Australia Standard Time": "Australia/Adelaide",
        "AUS Eastern Standard Time": "Australia/Sydney", "E. Australia Standard Time": "Australia/Brisbane",
        "Tasmania Standard Time": "Australia/Hobart", "New Zealand Standard Time": "Pacific/Auckland",
    ]

    /// The zone most of a country's people live in, by ISO 3166 code (what `usageLocation` holds).
    static let countryZones: [String: String] = [
        "US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City", "BR": "America/Sao_Paulo",
        "AR": "America/Argentina/Buenos_Aires", "CO": "America/Bogota", "CL": "America/Santiago", "GB": "Europe/London",
        "IE": "Europe/Dublin", "FR": "Europe/Paris", "DE": "Europe/Berlin", "NL": "Europe/Amsterdam", "BE": "Europe/Brussels",
        "LU": "Europe/Luxembourg", "CH": "Europe/Zurich", "AT": "Europe/Vienna", "ES": "Europe/Madrid", "PT": "Europe/Lisbon",
        "IT": "Europe/Rome", "DK": "Europe/Copenhagen", "SE": "Europe/Stockholm", "NO": "Europe/Oslo", "FI": "Europe/Helsinki",
        "PL": "Europe/Warsaw", "CZ": "Europe/Prague", "HU": "Europe/Budapest", "RO": "Europe/Bucharest", "GR": "Europe/Athens",
        "TR": "Europe/Istanbul", "UA": "Europe/Kiev", "RU": "Europe/Moscow", "IL": "Asia/Jerusalem", "AE": "Asia/Dubai",
        "SA": "Asia/Riyadh", "EG": "Africa/Cairo", "ZA": "Africa/Johannesburg", "NG": "Africa/Lagos", "KE": "Africa/Nairobi",
        "IN": "Asia/Kolkata", "PK": "Asia/Karachi", "SG": "Asia/Singapore", "MY": "Asia/Kuala_Lumpur", "TH": "Asia/Bangkok",
        "ID": "Asia/Jakarta", "PH": "Asia/Manila", "CN": "Asia/Shanghai", "HK": "Asia/Hong_Kong", "TW": "Asia/Taipei",
        "KR": "Asia/Seoul", "JP": "Asia/Tokyo", "AU": "Australia/Sydney", "NZ": "Pacific/Auckland",
    ]
}
