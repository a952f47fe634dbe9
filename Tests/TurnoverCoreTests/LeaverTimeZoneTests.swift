import Foundation
import Testing
import TurnoverCore

@Suite("The leaver's own time zone and the end of their last day")
struct LeaverTimeZoneTests {
    static func utc(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }

    @Test("the mailbox's Windows zone wins, then the usage location's main zone, then the tenant's default")
    func sources() {
        let tokyo = LeaverTimeZone.resolve(mailboxTimeZone: "Tokyo Standard Time", usageLocation: "GB", tenantDefault: "Europe/Berlin")
        #expect(tokyo.identifier == "Asia/Tokyo" && tokyo.source == .mailbox)
        let london = LeaverTimeZone.resolve(mailboxTimeZone: nil, usageLocation: "gb", tenantDefault: "Europe/Berlin")
        #expect(london.identifier == "Europe/London" && london.source == .usageLocation)
        // A zone name Exchange would not write falls through to the next source.
        let unknown = LeaverTimeZone.resolve(mailboxTimeZone: "Mars Standard Time", usageLocation: nil, tenantDefault: "Europe/Berlin")
        #expect(unknown.identifier == "Europe/Berlin" && unknown.source == .tenantDefault)
        #expect(LeaverTimeZone.resolve(mailboxTimeZone: nil, usageLocation: "ZZ", tenantDefault: "Nowhere/City").identifier == "UTC")
    }

    @Test(
        "17:30 on the last day is the right UTC instant in Tokyo, London and Los Angeles, either side of a daylight-saving change",
        arguments: [
            ("Tokyo Standard Time", "2026-03-27", "2026-03-27T08:30:00Z"),
            ("GMT Standard Time", "2026-03-27", "2026-03-27T17:30:00Z"),  // GMT, before British Summer Time
            ("GMT Standard Time", "2026-03-30", "2026-03-30T16:30:00Z"),  // BST from 29 March
            ("Pacific Standard Time", "2026-03-06", "2026-03-07T01:30:00Z"),  // PST
            ("Pacific Standard Time", "2026-03-09", "2026-03-10T00:30:00Z"),  // PDT from 8 March
            ("Pacific Standard Time", "2026-11-02", "2026-11-03T01:30:00Z"),  // PST again from 1 November
        ])
    func endOfLastDay(zone: String, day: String, expected: String) throws {
        let resolved = LeaverTimeZone.resolve(mailboxTimeZone: zone, usageLocation: nil, tenantDefault: "UTC")
        #expect(resolved.instant(day: day, time: "17:30") == Self.utc(expected), "\(zone) \(day)")
    }

    @Test("a time a daylight-saving change skips moves forward; a date that does not exist is refused")
    func gapsAndNonsense() throws {
        let losAngeles = LeaverTimeZone.resolve(mailboxTimeZone: "Pacific Standard Time", usageLocation: nil, tenantDefault: "UTC")
        // 02:30 does not exist on 8 March 2026 in Los Angeles: it is 03:30 PDT, 10:30 UTC.
        #expect(losAngeles.instant(day: "2026-03-08", time: "02:30") == Self.utc("2026-03-08T10:30:00Z"))
        #expect(losAngeles.instant(day: "2026-02-30", time: "17:30") == nil)
        #expect(losAngeles.instant(day: "2026-03-06", time: "25:00") == nil)
        let instant = try #require(losAngeles.instant(day: "2026-03-09", time: "17:30"))
        #expect(losAngeles.describe(instant).hasPrefix("2026-03-09 17:30 America/Los_Angeles (2026-03-10T00:30:00Z)"))
    }
}
