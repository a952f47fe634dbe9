import Foundation
import Testing
import TurnoverCore

/// The tenant every ticket below is read against: two Bens and two Amys so that a lone "Ben" or
/// "Amy" can never resolve, and one of everyone else.
enum TicketDirectory {
    static func person(_ id: String, _ name: String) -> PersonRef {
        let address = name.lowercased().replacingOccurrences(of: " ", with: ".") + "@contoso.com"
        return PersonRef(id: "u-\(id)", userPrincipalName: address, displayName: name)
    }

    static let benCarter = person("ben", "Ben Carter")
    static let benOrtiz = person("ben-o", "Ben Ortiz")
    static let chloe = person("chloe", "Chloe Diaz")
    static let kate = person("kate", "Kate Miller")
    static let dan = person("dan", "Dan Wright")
    static let laura = person("laura", "Laura Nash")
    static let isla = person("isla", "Isla Jones")
    static let jack = person("jack", "Jack Brown")
    static let amyRoss = person("amy-r", "Amy Ross")
    static let amyChen = person("amy-c", "Amy Chen")
    static let grace = person("grace", "Grace Hall")
    static let yusuf = person("yusuf", "Yusuf Adams")

    static let everyone = [benCarter, benOrtiz, chloe, kate, dan, laura, isla, jack, amyRoss, amyChen, grace, yusuf]

    static func instant(_ text: String) -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else { fatalError("bad test instant \(text)") }
        return date
    }

    /// Wednesday 2 December 2026, 09:00 in London (GMT, so also 09:00 UTC).
    static let received = instant("2026-12-02T09:00:00Z")

    static func reading(_ order: DateOrder = .dayMonth, zone: String = "Europe/London") -> TicketReading {
        TicketReading(directory: everyone, timeZone: TimeZone(identifier: zone) ?? .gmt, dateOrder: order)
    }
}

/// One ticket and everything the rules should read from it.
struct TicketCase: Sendable, CustomTestStringConvertible {
    let name: String
    let ticket: TicketText
    let expected: TicketExtraction
    let ready: Bool

    init(
        _ name: String, subject: String, body: String, fields: [String: String] = [:], ready: Bool, expected: TicketExtraction
    ) {
        self.name = name
        self.ticket = TicketText(subject: subject, body: body, fields: fields, receivedAt: TicketDirectory.received)
        self.expected = expected
        self.ready = ready
    }

    var testDescription: String { name }
}

// Small builders so each case reads as "these words gave this value".
private func said(_ words: String, note: String? = nil) -> Evidence { Evidence(words: words, note: note) }
private func yes(_ words: String) -> Extracted<Bool> { Extracted(value: true, evidence: said(words)) }
private func no(_ words: String) -> Extracted<Bool> { Extracted(value: false, evidence: said(words)) }
private func who(_ person: PersonRef, _ words: String) -> Extracted<PersonRef> { Extracted(value: person, evidence: said(words)) }
private func on(_ year: Int, _ month: Int, _ day: Int, _ words: String, note: String? = nil) -> Extracted<LocalDay> {
    Extracted(value: LocalDay(year: year, month: month, day: day), evidence: said(words, note: note))
}
private func at(_ hour: Int, _ minute: Int, _ words: String) -> Extracted<LocalTime> {
    Extracted(value: LocalTime(hour: hour, minute: minute), evidence: said(words))
}
private func asked(_ words: String) -> Extracted<String> { Extracted(value: words, evidence: said(words)) }
private func problem(_ field: TicketProblem.Field, _ kind: TicketProblem.Kind, _ words: String?, _ message: String) -> TicketProblem {
    TicketProblem(field: field, kind: kind, evidence: words.map { said($0) }, message: message)
}

private typealias D = TicketDirectory

private let noLeaver = problem(.leaver, .missing, nil, "The ticket does not say who is leaving. Choose the leaver.")

@Suite("Reading an offboarding out of a PSA ticket, by rules")
struct TicketExtractionTests {
    static let cases: [TicketCase] = [
        TicketCase(
            "a full ticket: leaver, day, forwarding, delegate, manager, an instruction, and a signature",
            subject: "Leaver - Ben Carter",
            body: """
                Hi team,

                Ben Carter's last day is Friday, forward his mail to Kate and give Kate access to his OneDrive. His manager is Dan.
                Keep his laptop for legal.

                Thanks,
                Dan
                """,
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.benCarter, "Leaver - Ben Carter"),
                lastDay: on(2026, 12, 4, "last day is Friday"),
                delegate: who(D.kate, "give Kate access to his OneDrive"), forwardingTo: who(D.kate, "forward his mail to Kate"),
                manager: who(D.dan, "His manager is Dan"), instructions: [asked("Keep his laptop for legal")])),
        TicketCase(
            "“Amy” with two Amys in the directory is a choice for a person, not a guess",
            subject: "Amy is leaving",
            body: "Amy is leaving us on 18 December. Please forward her email to Grace.",
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("is leaving"), lastDay: on(2026, 12, 18, "leaving us on 18 December"),
                forwardingTo: who(D.grace, "forward her email to Grace"),
                problems: [
                    problem(
                        .leaver, .ambiguous(candidates: [D.amyChen, D.amyRoss]), "Amy is leaving",
                        "“Amy” matches 2 people: Amy Chen, Amy Ross. Choose the leaver.")
                ])),
        TicketCase(
            "“Ben” with two Bens is ambiguous, in the subject and the body alike",
            subject: "Offboarding for Ben",
            body: "Please offboard Ben on Friday.",
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Offboarding"), lastDay: on(2026, 12, 4, "Friday"),
                problems: [
                    problem(
                        .leaver, .ambiguous(candidates: [D.benCarter, D.benOrtiz]), "Offboarding for Ben",
                        "“Ben” matches 2 people: Ben Carter, Ben Ortiz. Choose the leaver.")
                ])),
        TicketCase(
            "a unique first name resolves; the greeting's and the sign-off's names do not count",
            subject: "Leaver",
            body: """
                Hi Kate,

                Chloe's last day is tomorrow at noon. Cheers Dan
                """,
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.chloe, "Chloe's last day"), lastDay: on(2026, 12, 3, "last day is tomorrow"),
                lastTime: at(12, 0, "noon"))),
        TicketCase(
            "two people in one ticket are the leaver and the delegate; the forwarding-period date is not the last day",
            subject: "Leaver",
            body: "Isla Jones is leaving at the end of the month. Give Jack access to her mailbox until 31 January.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.isla, "Isla Jones is leaving"),
                lastDay: on(2026, 12, 31, "leaving at the end of the month"), delegate: who(D.jack, "Give Jack access to her mailbox"))),
        TicketCase(
            "two leavers in one ticket is a problem that names both",
            subject: "Offboarding",
            body: "Please offboard Ben Carter and Chloe Diaz, last day 4th Dec.",
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Offboarding"), lastDay: on(2026, 12, 4, "last day 4th Dec"),
                problems: [
                    problem(
                        .leaver, .twoLeavers([D.benCarter, D.chloe]), "offboard Ben Carter and Chloe Diaz",
                        "The ticket names 2 leavers: Ben Carter, Chloe Diaz. One ticket, one leaver: split it.")
                ])),
        TicketCase(
            "a list of three leavers, and “next week” is not a day",
            subject: "Offboarding request",
            body: "Ben Carter, Chloe Diaz and Kate Miller are leaving next week.",
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Offboarding"),
                problems: [
                    problem(
                        .leaver, .twoLeavers([D.benCarter, D.chloe, D.kate]), "Ben Carter, Chloe Diaz and Kate Miller are leaving",
                        "The ticket names 3 leavers: Ben Carter, Chloe Diaz, Kate Miller. One ticket, one leaver: split it."),
                    problem(.lastDay, .missing, nil, "The ticket does not say when the last day is. Enter the last day."),
                ])),
        TicketCase(
            "a date without a year that has passed this year is next year's; field-free “Reports to”",
            subject: "Leaver: Grace Hall",
            body: "Her last day is 1 December. Kate should have access to her files and mailbox. Reports to Dan Wright.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.grace, "Leaver: Grace Hall"),
                lastDay: on(2027, 12, 1, "last day is 1 December"),
                delegate: who(D.kate, "Kate should have access to her files and mailbox"), manager: who(D.dan, "Reports to Dan Wright"))),
        TicketCase(
            "a date without a year still ahead this year is this year's (“Dec 4”); a reporting line and a delegate",
            subject: "Leaver",
            body: "Grace Hall is leaving on Dec 4. She reports to Ben Carter. Give Amy Chen access to her mailbox.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.grace, "Grace Hall is leaving"), lastDay: on(2026, 12, 4, "leaving on Dec 4"),
                delegate: who(D.amyChen, "Give Amy Chen access to her mailbox"), manager: who(D.benCarter, "reports to Ben Carter"))),
        TicketCase(
            "terminated, effective immediately, do not notify: hostile, runs now without a date, the extra request is kept",
            subject: "URGENT",
            body: "Jack Brown has been terminated effective immediately. Do not notify him. Please also remove him from the Zoom account.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("terminated"), leaver: who(D.jack, "Jack Brown has been terminated"), hostile: yes("terminated"),
                immediate: yes("effective immediately"), instructions: [asked("Please also remove him from the Zoom account")])),
        TicketCase(
            "a termination subject, “Effective immediately” and “Do not notify” on their own",
            subject: "Termination",
            body: "Dan Wright - termination. Effective immediately. Do not notify.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Termination"), leaver: who(D.dan, "Dan Wright - termination"), hostile: yes("Termination"),
                immediate: yes("Effective immediately"))),
        TicketCase(
            "“effective immediately” alone makes an exit hostile",
            subject: "Yusuf Adams",
            body: "Please disable Yusuf's account, effective immediately.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("disable Yusuf's account"), leaver: who(D.yusuf, "disable Yusuf's account"),
                hostile: yes("effective immediately"), immediate: yes("effective immediately"))),
        TicketCase(
            "walked out and escorted: hostile; “don't tell” is consumed, not an instruction",
            subject: "Exit",
            body:
                "Grace was walked out by security this morning and escorted from the building. Don't tell her team yet. Disable her account now.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("walked out"), leaver: who(D.grace, "Grace was walked out"), hostile: yes("walked out"))),
        TicketCase(
            "a password reset is not an offboarding, and nothing else is read from it",
            subject: "Password reset",
            body: "Ben Ortiz is locked out, please reset his password.",
            ready: false,
            expected: TicketExtraction(isOffboarding: no("Password reset"))),
        TicketCase(
            "a new starter is not an offboarding",
            subject: "New starter",
            body: "New starter: Yusuf Adams starts Monday 7 December, please set up his account and give him access to the Sales mailbox.",
            ready: false,
            expected: TicketExtraction(isOffboarding: no("New starter"))),
        TicketCase(
            "a printer “leaving streaks” is not a person leaving",
            subject: "Re: printer",
            body: "The printer on floor 2 is jammed again, it's leaving streaks. Grace says hi.",
            ready: false,
            expected: TicketExtraction(isOffboarding: no("printer"))),
        TicketCase(
            "holiday forwarding is neither an offboarding nor recognisably anything else",
            subject: "Holiday cover",
            body: "Kate Miller is on holiday next week, please forward her mail to Dan.",
            ready: false,
            expected: TicketExtraction()),
        TicketCase(
            "a negated termination is not hostile; an unmapped request is kept",
            subject: "Resignation",
            body: "This is not a termination, Chloe resigned. Last day 18th December. Please don't forget her Zoom licence.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Resignation"), leaver: who(D.chloe, "Chloe resigned"),
                lastDay: on(2026, 12, 18, "Last day 18th December"),
                instructions: [asked("Please don't forget her Zoom licence")])),
        TicketCase(
            "PSA fields outrank the body: the leaver, the day and the manager come from the fields",
            subject: "Leaver",
            body: "Chloe Diaz is leaving on 11/12/2026 at 5pm. Her manager is Laura.",
            fields: ["Leaver": "Ben Carter", "Last day": "2026-12-04", "Manager": "dan.wright@contoso.com"],
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.benCarter, "Leaver: Ben Carter"),
                lastDay: on(2026, 12, 4, "Last day: 2026-12-04"),
                manager: who(D.dan, "Manager: dan.wright@contoso.com"))),
        TicketCase(
            "a leaver field settles the body's ambiguous “Ben”; with no day anywhere, the day is missing",
            subject: "Leaver",
            body: "Ben is leaving. Forward his emails to Kate.",
            fields: ["Leaver": "ben.carter"],
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.benCarter, "Leaver: ben.carter"),
                forwardingTo: who(D.kate, "Forward his emails to Kate"),
                problems: [problem(.lastDay, .missing, nil, "The ticket does not say when Ben Carter's last day is. Enter the last day.")])),
        TicketCase(
            "a last-day field the rules cannot read is a problem, not a fallback to the body",
            subject: "Leaver",
            body: "Isla is off on Friday.",
            fields: ["Leaver": "Isla Jones", "Last day": "TBC"],
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.isla, "Leaver: Isla Jones"),
                problems: [
                    problem(
                        .lastDay, .unreadableDate, "Last day: TBC", "“Last day: TBC” is not a date the rules can read. Enter the last day.")
                ])),
        TicketCase(
            "a leaver not in the directory; next Friday; 17:30; an email address and a full name resolve",
            subject: "Leaver",
            body: "Zara Quinn is leaving next Friday at 17:30. Forward her mail to kate.miller@contoso.com and her manager is Laura Nash.",
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), lastDay: on(2026, 12, 11, "leaving next Friday"), lastTime: at(17, 30, "17:30"),
                forwardingTo: who(D.kate, "Forward her mail to kate.miller@contoso.com"),
                manager: who(D.laura, "her manager is Laura Nash"),
                problems: [
                    problem(
                        .leaver, .notFound(name: "Zara Quinn"), "Zara Quinn is leaving",
                        "“Zara Quinn” is not in the directory. Choose the leaver.")
                ])),
        TicketCase(
            "a known first name with an unknown surname is someone else, never the known Ben",
            subject: "Ben Smith leaving",
            body: "Ben Smith is leaving on Monday.",
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("is leaving"), lastDay: on(2026, 12, 7, "leaving on Monday"),
                problems: [
                    problem(
                        .leaver, .notFound(name: "Ben Smith"), "Ben Smith leaving",
                        "“Ben Smith” is not in the directory. Choose the leaver.")
                ])),
        TicketCase(
            "forwarding, delegate and manager in one ticket, with a weekday",
            subject: "Leaver",
            body:
                "Amy Chen is leaving Thursday. Amy Chen reports to Dan. Please transfer her files to Kate Miller and forward her emails to Grace Hall.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.amyChen, "Amy Chen is leaving"), lastDay: on(2026, 12, 3, "leaving Thursday"),
                delegate: who(D.kate, "transfer her files to Kate Miller"), forwardingTo: who(D.grace, "forward her emails to Grace Hall"),
                manager: who(D.dan, "reports to Dan"))),
        TicketCase(
            "“this Friday” and “5:30 pm”; an address in brackets after the name",
            subject: "Offboard",
            body: "Please offboard Laura (laura.nash@contoso.com) this Friday at 5:30 pm",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Offboard"), leaver: who(D.laura, "offboard Laura"), lastDay: on(2026, 12, 4, "this Friday"),
                lastTime: at(17, 30, "5:30 pm"))),
        TicketCase(
            "a UPN local part with a possessive; an ambiguous 12/04 read day-first and said so; COB is no explicit time; Mr + surname",
            subject: "Fwd: leaver",
            body: """
                ben.carter's last day is 12/04/2026 COB. Mr Ortiz will take over his files.
                > On Tuesday Chloe wrote:
                > Dan is leaving tomorrow
                """,
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("leaver"), leaver: who(D.benCarter, "ben.carter's last day"),
                lastDay: on(2026, 4, 12, "last day is 12/04/2026", note: "“12/04/2026” read as day/month, the tenant's date order."),
                delegate: who(D.benOrtiz, "Mr Ortiz will take over his files"))),
        TicketCase(
            "a resignation with a day-first numeric date",
            subject: "Leaver",
            body: "Laura Nash has resigned, her last working day is 04/12/2026.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.laura, "Laura Nash has resigned"),
                lastDay: on(2026, 12, 4, "last working day is 04/12/2026", note: "“04/12/2026” read as day/month, the tenant's date order.")
            )),
        TicketCase(
            "all capitals, and a date whose day cannot be a month needs no date order",
            subject: "LEAVER: BEN CARTER",
            body: "last day 13/04/2027",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("LEAVER"), leaver: who(D.benCarter, "LEAVER: BEN CARTER"),
                lastDay: on(2027, 4, 13, "last day 13/04/2027"))),
        TicketCase(
            "an offboarding with no date is a missing-date problem when it is not hostile",
            subject: "Leaver",
            body: "Isla Jones is leaving. Please disable her account.",
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.isla, "Isla Jones is leaving"),
                problems: [problem(.lastDay, .missing, nil, "The ticket does not say when Isla Jones's last day is. Enter the last day.")])),
        TicketCase(
            "messy mail: “today EOD”, a forwarding phrased passively, two instructions, an original message below that is ignored",
            subject: "Leaver",
            body: """
                Hello,
                Yusuf Adams is leaving today EOD. Emails should be forwarded to Amy Chen. Please keep his mailbox for 90 days and also cancel his mobile contract.
                -----Original Message-----
                From: Kate Miller
                Ben Ortiz is leaving too
                """,
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.yusuf, "Yusuf Adams is leaving"), lastDay: on(2026, 12, 2, "leaving today"),
                forwardingTo: who(D.amyChen, "Emails should be forwarded to Amy Chen"),
                instructions: [asked("Please keep his mailbox for 90 days"), asked("cancel his mobile contract")])),
        TicketCase(
            "the only name is in the signature, so the leaver is missing rather than the requester",
            subject: "Leaver",
            body: """
                Our receptionist is leaving at the end of the month.

                Thanks,
                Dan Wright - Leavers & Joiners, HR
                dan.wright@contoso.com
                """,
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), lastDay: on(2026, 12, 31, "leaving at the end of the month"), problems: [noLeaver])),
        TicketCase(
            "quoted reply lines starting with “>” are someone else's words",
            subject: "Leaver",
            body: """
                Ben Ortiz leaves on Friday.
                > Ben Carter is leaving Monday

                Regards,
                Kate
                """,
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.benOrtiz, "Ben Ortiz leaves"), lastDay: on(2026, 12, 4, "leaves on Friday"))),
        TicketCase(
            "a weekday that contradicts its date is unreadable, not a guess at either",
            subject: "Leaver",
            body: "Jack's last day is Friday 5 December.",
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.jack, "Jack's last day"),
                problems: [
                    problem(
                        .lastDay, .unreadableDate, "Friday 5 December",
                        "“Friday 5 December”: 2026-12-05 is a Saturday, not a Friday. Enter the last day.")
                ])),
        TicketCase(
            "a title makes a surname a name; a unique surname resolves alone; “end of the week” is Friday",
            subject: "Leaver",
            body: "Mr Carter finishes end of the week. Nash is his manager.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.benCarter, "Mr Carter finishes"),
                lastDay: on(2026, 12, 4, "finishes end of the week"),
                manager: who(D.laura, "Nash is his manager"))),
        TicketCase(
            "a later “Amy” is the Amy Ross written in full; a weekday with its date; pronouns never resolve",
            subject: "Leaver",
            body: "Amy Ross is leaving. Amy's last day is Friday 4 December. Dan, her manager, wants her mail forwarded to him.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.amyRoss, "Amy Ross is leaving"),
                lastDay: on(2026, 12, 4, "last day is Friday 4 December"),
                manager: who(D.dan, "Dan, her manager"))),
        TicketCase(
            "“asap” with no day runs now",
            subject: "leaver",
            body: "Kate is leaving, please disable her account asap",
            ready: true,
            expected: TicketExtraction(isOffboarding: yes("leaver"), leaver: who(D.kate, "Kate is leaving"), immediate: yes("asap"))),
        TicketCase(
            "“asap” beside a day means act soon, not now",
            subject: "Leaver",
            body: "Kate is leaving Friday, please disable her account asap",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.kate, "Kate is leaving"), lastDay: on(2026, 12, 4, "leaving Friday"))),
        TicketCase(
            "lower-case full names resolve; “the 4th of December, 2026”",
            subject: "leaver",
            body: "chloe diaz is leaving on the 4th of December, 2026. her manager is dan wright.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("leaver"), leaver: who(D.chloe, "chloe diaz is leaving"),
                lastDay: on(2026, 12, 4, "leaving on the 4th of December, 2026"), manager: who(D.dan, "her manager is dan wright"))),
        TicketCase(
            "an email address as the leaver, a weekday with its date, 17:00, and a mailbox delegated",
            subject: "Leaver",
            body: "Please disable the account for jack.brown@contoso.com on Friday 4 December at 17:00 and delegate his mailbox to Isla.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.jack, "disable the account for jack.brown@contoso.com"),
                lastDay: on(2026, 12, 4, "Friday 4 December"), lastTime: at(17, 0, "17:00"),
                delegate: who(D.isla, "delegate his mailbox to Isla"))),
        TicketCase(
            "an unknown delegate and an ambiguous forwarding target are problems; “5pm”",
            subject: "Leaver",
            body: "Laura Nash is leaving on Friday at 5pm. Give Zara access to her mailbox and forward her mail to Ben.",
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.laura, "Laura Nash is leaving"), lastDay: on(2026, 12, 4, "leaving on Friday"),
                lastTime: at(17, 0, "5pm"),
                problems: [
                    problem(
                        .delegate, .notFound(name: "Zara"), "Give Zara access to her mailbox",
                        "“Zara” is not in the directory. Choose who gets the mailbox and files."),
                    problem(
                        .forwardingTo, .ambiguous(candidates: [D.benCarter, D.benOrtiz]), "forward her mail to Ben",
                        "“Ben” matches 2 people: Ben Carter, Ben Ortiz. Choose who receives forwarded mail."),
                ])),
        TicketCase(
            "a bare subject names the leaver; bullets; a list of requests, one mapped and one kept",
            subject: "Offboarding - Isla Jones",
            body: """
                Hi all,
                - Last day: 2026-12-18
                - Forward her mail to her manager Kate Miller
                - Wipe her laptop and keep her phone for HR
                Many thanks
                """,
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Offboarding"), leaver: who(D.isla, "Offboarding - Isla Jones"),
                lastDay: on(2026, 12, 18, "Last day: 2026-12-18"),
                forwardingTo: who(D.kate, "Forward her mail to her manager Kate Miller"), manager: who(D.kate, "her manager Kate Miller"),
                instructions: [asked("Wipe her laptop"), asked("keep her phone for HR")])),
        TicketCase(
            "one line of mail: a greeting, no leaver's name, and “Thanks, Dan” — Dan asked, Dan is not leaving",
            subject: "Front desk",
            body: """
                Hi team, the receptionist's last day is Friday, please delegate her mailbox to Kate. Thanks, Dan
                Sent from my iPhone
                """,
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("last day"), lastDay: on(2026, 12, 4, "last day is Friday"),
                delegate: who(D.kate, "delegate her mailbox to Kate"), problems: [noLeaver])),
        TicketCase(
            "everything under “On … wrote:” is the earlier message, quoted without “>”",
            subject: "RE: Leaver",
            body: """
                Yes, and his manager is Laura Nash.

                On Tue, 1 Dec 2026 at 10:00, Kate Miller <kate.miller@contoso.com> wrote:
                Jack Brown is leaving on 4 December.
                """,
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), manager: who(D.laura, "his manager is Laura Nash"),
                problems: [noLeaver, problem(.lastDay, .missing, nil, "The ticket does not say when the last day is. Enter the last day.")])
        ),
        TicketCase(
            "a full name in another role does not settle which Ben is leaving",
            subject: "Leaver",
            body: "Please forward his mail to Ben Ortiz. Ben is leaving on Friday.",
            ready: false,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), lastDay: on(2026, 12, 4, "leaving on Friday"),
                forwardingTo: who(D.benOrtiz, "forward his mail to Ben Ortiz"),
                problems: [
                    problem(
                        .leaver, .ambiguous(candidates: [D.benCarter, D.benOrtiz]), "Ben is leaving",
                        "“Ben” matches 2 people: Ben Carter, Ben Ortiz. Choose the leaver.")
                ])),
        TicketCase(
            "a comma after the leaver's name starts a new clause, not a list of leavers",
            subject: "Leaver",
            body: "Please offboard Chloe Diaz, Kate Miller will take over her files. Her last day is 2026-12-11.",
            ready: true,
            expected: TicketExtraction(
                isOffboarding: yes("Leaver"), leaver: who(D.chloe, "offboard Chloe Diaz"),
                lastDay: on(2026, 12, 11, "last day is 2026-12-11"),
                delegate: who(D.kate, "Kate Miller will take over her files"))),
    ]

    @Test("each ticket reads exactly as expected", arguments: cases)
    func reads(_ example: TicketCase) {
        let extraction = D.reading().read(example.ticket)
        #expect(extraction == example.expected)
        #expect(extraction.isReady == example.ready)
    }

    /// Every value must point at words the technician can find in the ticket.
    @Test("every piece of evidence is the ticket's own words", arguments: cases)
    func evidenceIsVerbatim(_ example: TicketCase) {
        let extraction = D.reading().read(example.ticket)
        let ticket = example.ticket
        let fieldLines = ticket.fields.map { "\($0.key): \($0.value)" }
        var evidence: [Evidence] = [
            extraction.isOffboarding?.evidence, extraction.leaver?.evidence, extraction.lastDay?.evidence, extraction.lastTime?.evidence,
            extraction.hostile?.evidence, extraction.immediate?.evidence, extraction.delegate?.evidence, extraction.forwardingTo?.evidence,
            extraction.manager?.evidence,
        ].compactMap { $0 }
        evidence += extraction.instructions.map(\.evidence) + extraction.problems.compactMap(\.evidence)
        for item in evidence {
            let verbatim = ticket.subject.contains(item.words) || ticket.body.contains(item.words) || fieldLines.contains(item.words)
            #expect(verbatim, "“\(item.words)” is not in the ticket")
            #expect(!item.words.isEmpty)
        }
        for instruction in extraction.instructions { #expect(instruction.value == instruction.evidence.words) }
    }

    @Test("an ambiguous 04/12 follows the tenant's date order, and says which it used")
    func dateOrder() {
        let ticket = TicketText(subject: "Leaver", body: "Laura Nash's last day is 04/12/2026.", receivedAt: D.received)
        let dayFirst = D.reading(.dayMonth).read(ticket).lastDay
        let monthFirst = D.reading(.monthDay).read(ticket).lastDay
        #expect(dayFirst?.value == LocalDay(year: 2026, month: 12, day: 4))
        #expect(monthFirst?.value == LocalDay(year: 2026, month: 4, day: 12))
        #expect(monthFirst?.evidence == said("last day is 04/12/2026", note: "“04/12/2026” read as month/day, the tenant's date order."))
        // 13/04 can only be day-first, whatever the tenant's order.
        let unambiguous = TicketText(subject: "Leaver", body: "Laura Nash's last day is 13/04/2027.", receivedAt: D.received)
        #expect(D.reading(.monthDay).read(unambiguous).lastDay == on(2027, 4, 13, "last day is 13/04/2027"))
    }

    @Test(
        "weekdays are read from the received day: “Friday” and “this Friday” are the coming one, “next Friday” the one after",
        arguments: [
            // Received on Wednesday 2 December 2026.
            ("2026-12-02T09:00:00Z", "Friday", "2026-12-04"),
            ("2026-12-02T09:00:00Z", "this Friday", "2026-12-04"),
            ("2026-12-02T09:00:00Z", "next Friday", "2026-12-11"),
            ("2026-12-02T09:00:00Z", "Wednesday", "2026-12-02"),
            ("2026-12-02T09:00:00Z", "last Friday", "2026-11-27"),
            ("2026-12-02T09:00:00Z", "the end of next week", "2026-12-11"),
            // Received on Friday 4 December: "Friday" is today, "next Friday" a week on.
            ("2026-12-04T09:00:00Z", "Friday", "2026-12-04"),
            ("2026-12-04T09:00:00Z", "next Friday", "2026-12-11"),
            ("2026-12-04T09:00:00Z", "Monday", "2026-12-07"),
            // End of February in a leap year, and a year that rolls over.
            ("2028-02-10T09:00:00Z", "the end of the month", "2028-02-29"),
            ("2026-12-30T09:00:00Z", "tomorrow", "2026-12-31"),
            ("2026-12-31T09:00:00Z", "tomorrow", "2027-01-01"),
            ("2026-12-31T09:00:00Z", "2 January", "2027-01-02"),
        ])
    func relativeDays(received: String, words: String, day: String) {
        let ticket = TicketText(subject: "Leaver", body: "Kate Miller's last day is \(words).", receivedAt: D.instant(received))
        let extraction = D.reading().read(ticket)
        #expect(extraction.lastDay?.value.description == day)
        #expect(extraction.lastDay?.evidence.words == "last day is \(words)")
    }

    @Test("“today” is the leaver's calendar day, not UTC's")
    func timeZone() {
        // 23:30 UTC on 1 July is 00:30 on 2 July in London (BST) and still 1 July in New York.
        let ticket = TicketText(subject: "Leaver", body: "Dan Wright is leaving today.", receivedAt: D.instant("2026-07-01T23:30:00Z"))
        #expect(D.reading(zone: "Europe/London").read(ticket).lastDay?.value == LocalDay(year: 2026, month: 7, day: 2))
        #expect(D.reading(zone: "America/New_York").read(ticket).lastDay?.value == LocalDay(year: 2026, month: 7, day: 1))
    }

    @Test(
        "times: 12-hour, 24-hour, noon; end of day and COB leave the hour to the policy",
        arguments: [
            ("at 5pm", LocalTime(hour: 17, minute: 0) as LocalTime?),
            ("at 9am", LocalTime(hour: 9, minute: 0)),
            ("at 12am", LocalTime(hour: 0, minute: 0)),
            ("at 5.30pm", LocalTime(hour: 17, minute: 30)),
            ("at 17:30", LocalTime(hour: 17, minute: 30)),
            ("at noon", LocalTime(hour: 12, minute: 0)),
            ("COB", nil),
            ("end of day", nil),
            ("close of business", nil),
        ])
    func times(words: String, time: LocalTime?) {
        let ticket = TicketText(subject: "Leaver", body: "Isla Jones is leaving on 4 December \(words).", receivedAt: D.received)
        let extraction = D.reading().read(ticket)
        #expect(extraction.lastTime?.value == time)
        #expect(extraction.lastDay?.value == LocalDay(year: 2026, month: 12, day: 4))
        #expect(extraction.isReady)
    }

    @Test("a date that does not exist is unreadable")
    func impossibleDate() {
        let ticket = TicketText(subject: "Leaver", body: "Kate Miller's last day is 31/02/2027.", receivedAt: D.received)
        let extraction = D.reading().read(ticket)
        #expect(extraction.lastDay == nil)
        #expect(extraction.problems.map(\.kind) == [.unreadableDate])
        #expect(extraction.problems.first?.evidence?.words == "31/02/2027")
        #expect(!extraction.isReady)
    }

    @Test("an extraction survives a JSON round trip, problems included")
    func codable() throws {
        let ticket = TicketText(
            subject: "Leaver", body: "Amy is leaving on 4 December. Forward her mail to Ben.", fields: ["Manager": "Dan Wright"],
            receivedAt: D.received)
        let extraction = D.reading().read(ticket)
        #expect(extraction.problems.count == 2)
        let decoded = try JSONDecoder().decode(TicketExtraction.self, from: JSONEncoder().encode(extraction))
        #expect(decoded == extraction)
        #expect(try JSONDecoder().decode(TicketText.self, from: JSONEncoder().encode(ticket)) == ticket)
    }

    @Test("the same ticket reads the same whatever order the PSA lists its fields in")
    func fieldOrder() {
        let fields = ["Type": "Leaver", "Manager": "Dan Wright", "Leaver": "Grace Hall", "Last day": "18/12/2026", "Forward to": "Kate"]
        let ticket = TicketText(subject: "Ticket #4411", body: "See fields.", fields: fields, receivedAt: D.received)
        let extraction = D.reading().read(ticket)
        #expect(extraction.isOffboarding == yes("Type: Leaver"))
        #expect(extraction.leaver == who(D.grace, "Leaver: Grace Hall"))
        #expect(extraction.lastDay?.value == LocalDay(year: 2026, month: 12, day: 18))
        #expect(extraction.forwardingTo == who(D.kate, "Forward to: Kate"))
        #expect(extraction.manager == who(D.dan, "Manager: Dan Wright"))
        #expect(extraction.isReady)
        for _ in 0..<5 { #expect(D.reading().read(ticket) == extraction) }
    }

    @Test("a “Thanks!” before the request is not a signature; the one after it is")
    func thanksFirst() {
        let body = "Thanks!\nBen Ortiz is leaving on Friday.\nThanks,\nKate Miller - Leavers team"
        let extraction = D.reading().read(TicketText(subject: "Leaver", body: body, receivedAt: D.received))
        #expect(extraction.leaver == who(D.benOrtiz, "Ben Ortiz is leaving"))
        #expect(extraction.problems.isEmpty)
    }

    @Test("a hostile field runs the exit now without a date")
    func hostileField() {
        let ticket = TicketText(subject: "Leaver", body: "", fields: ["Leaver": "Jack Brown", "Hostile": "Yes"], receivedAt: D.received)
        let extraction = D.reading().read(ticket)
        #expect(extraction.hostile == yes("Hostile: Yes"))
        #expect(extraction.runsNow && extraction.isReady)
    }

    @Test("day and time descriptions are the forms the run timing takes")
    func descriptions() {
        #expect(LocalDay(year: 2026, month: 3, day: 9).description == "2026-03-09")
        #expect(LocalTime(hour: 7, minute: 5).description == "07:05")
        #expect(LocalDay(year: 2026, month: 12, day: 31) < LocalDay(year: 2027, month: 1, day: 1))
    }
}
