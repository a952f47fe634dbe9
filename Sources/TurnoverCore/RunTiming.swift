public import Foundation

/// When an offboarding runs once approved: at once (a hostile exit), at a given instant, or at the
/// end of the leaver's last day in the leaver's own time zone, at the hour the policy sets.
public enum RunTiming: Sendable, Equatable {
    case now
    case at(Date)
    /// The last day, `yyyy-MM-dd`, in the leaver's calendar.
    case endOfLastDay(String)

    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The instant the run may start and the sentence that explains it; nil for `.now`.
    public func resolve(snapshot: LeaverSnapshot, policy: Policy, now: Date) throws(Refusal) -> (runAt: Date, timing: String)? {
        switch self {
        case .now:
            return nil
        case .at(let instant):
            guard instant > now else {
                throw Refusal(description: "The time to run (\(Self.iso(instant))) has passed; choose a later one, or run it now.")
            }
            return (instant, "\(Self.iso(instant)), as asked")
        case .endOfLastDay(let day):
            let zone = LeaverTimeZone.resolve(
                mailboxTimeZone: snapshot.mailboxTimeZone, usageLocation: snapshot.usageLocation, tenantDefault: policy.timeZone)
            guard let instant = zone.instant(day: day, time: policy.endOfDay) else {
                throw Refusal(description: "'\(day)' is not a day (give it as yyyy-MM-dd, such as 2026-12-04).")
            }
            guard instant > now else {
                throw Refusal(
                    description:
                        "The end of \(snapshot.user.displayName)'s last day (\(zone.describe(instant))) has passed; run it now instead."
                )
            }
            return (instant, "the end of the last day, \(zone.describe(instant))")
        }
    }

    static func iso(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withInternetDateTime])
    }
}
