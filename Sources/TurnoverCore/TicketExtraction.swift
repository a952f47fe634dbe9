public import Foundation

// MARK: - What a ticket says

/// How a tenant writes an all-numeric date such as 04/12/2026: day first (UK, most of Europe) or
/// month first (US). It comes from the tenant's locale, never from the ticket, because the ticket
/// cannot tell us.
public enum DateOrder: String, Codable, Sendable {
    case dayMonth
    case monthDay
}

/// A PSA ticket as the reader sees it: free text plus the PSA's custom fields.
public struct TicketText: Codable, Sendable, Equatable {
    public var subject: String
    public var body: String
    /// PSA custom fields, e.g. "Leaver", "Last day", "Manager". They are typed in by someone who
    /// chose the field, so they outrank anything the rules read in the body.
    public var fields: [String: String]
    /// Relative dates ("Friday", "tomorrow") are read from this instant, in the reader's time zone.
    public var receivedAt: Date

    public init(subject: String, body: String, fields: [String: String] = [:], receivedAt: Date) {
        self.subject = subject
        self.body = body
        self.fields = fields
        self.receivedAt = receivedAt
    }
}

/// The words an extracted value came from, so the console can show a technician why.
public struct Evidence: Codable, Sendable, Equatable {
    /// Exactly as written: a substring of the subject or body, or "Key: Value" for a PSA field.
    public var words: String
    /// How the words were read when that is not obvious, e.g. which way round 04/12 was taken.
    public var note: String?

    public init(words: String, note: String? = nil) {
        self.words = words
        self.note = note
    }
}

/// A value the rules read, with the words it came from.
public struct Extracted<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var value: Value
    public var evidence: Evidence

    public init(value: Value, evidence: Evidence) {
        self.value = value
        self.evidence = evidence
    }
}

/// A calendar date on the leaver's wall calendar, with no time zone attached: "the 4th" is the
/// 4th wherever the technician sits.
public struct LocalDay: Codable, Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// "2026-12-04", the form `LeaverTimeZone.instant(day:time:)` takes.
    public var description: String {
        "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }

    public static func < (lhs: LocalDay, rhs: LocalDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// A wall-clock time of day on the last day.
public struct LocalTime: Codable, Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int

    public init(hour: Int, minute: Int) {
        self.hour = hour
        self.minute = minute
    }

    /// "17:30", the form `LeaverTimeZone.instant(day:time:)` takes.
    public var description: String {
        "\(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)"
    }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool {
        (lhs.hour, lhs.minute) < (rhs.hour, rhs.minute)
    }
}

/// Something a technician must settle before the ticket can become an offboarding.
public struct TicketProblem: Codable, Sendable, Equatable {
    public enum Field: String, Codable, Sendable {
        case leaver, lastDay, delegate, forwardingTo, manager
    }

    public enum Kind: Codable, Sendable, Equatable {
        /// The ticket does not say.
        case missing
        /// A name fits more than one directory person; the rules never pick one.
        case ambiguous(candidates: [PersonRef])
        /// A name fits nobody in the directory.
        case notFound(name: String)
        /// One ticket, one leaver: a ticket naming two is split by a person, not by the rules.
        /// Lists the leavers the directory knows; the message names them all.
        case twoLeavers([PersonRef])
        /// A date the ticket gives that is not a real date (31/02) or not one the rules read.
        case unreadableDate
    }

    public var field: Field
    public var kind: Kind
    public var evidence: Evidence?
    /// For the technician, e.g. "“Ben” matches 2 people: Ben Carter, Ben Ortiz. Choose the leaver."
    public var message: String

    public init(field: Field, kind: Kind, evidence: Evidence?, message: String) {
        self.field = field
        self.kind = kind
        self.evidence = evidence
        self.message = message
    }
}

/// What the rules read from one ticket.
public struct TicketExtraction: Codable, Sendable, Equatable {
    /// True with the cue words for an offboarding; false with the cue words when the ticket is
    /// recognisably something else (a password reset, a new starter, a printer); nil when nothing
    /// said either. Nothing else is read from a ticket that is not an offboarding.
    public var isOffboarding: Extracted<Bool>?
    public var leaver: Extracted<PersonRef>?
    public var lastDay: Extracted<LocalDay>?
    /// Only an explicit time. "End of day" and "COB" leave this nil: the policy's hour applies.
    public var lastTime: Extracted<LocalTime>?
    /// A hostile exit (terminated, "do not notify", "effective immediately"): it runs now.
    public var hostile: Extracted<Bool>?
    /// The ticket asks for the offboarding to happen now ("immediately", "asap") and gives no
    /// last day; "effective immediately" sets this as well as `hostile`.
    public var immediate: Extracted<Bool>?
    /// Who gets access to the mailbox and OneDrive.
    public var delegate: Extracted<PersonRef>?
    public var forwardingTo: Extracted<PersonRef>?
    public var manager: Extracted<PersonRef>?
    /// Requests the rules did not map, verbatim, for a technician to act on.
    public var instructions: [Extracted<String>]
    public var problems: [TicketProblem]

    public init(
        isOffboarding: Extracted<Bool>? = nil, leaver: Extracted<PersonRef>? = nil, lastDay: Extracted<LocalDay>? = nil,
        lastTime: Extracted<LocalTime>? = nil, hostile: Extracted<Bool>? = nil, immediate: Extracted<Bool>? = nil,
        delegate: Extracted<PersonRef>? = nil, forwardingTo: Extracted<PersonRef>? = nil, manager: Extracted<PersonRef>? = nil,
        instructions: [Extracted<String>] = [], problems: [TicketProblem] = []
    ) {
        self.isOffboarding = isOffboarding
        self.leaver = leaver
        self.lastDay = lastDay
        self.lastTime = lastTime
        self.hostile = hostile
        self.immediate = immediate
        self.delegate = delegate
        self.forwardingTo = forwardingTo
        self.manager = manager
        self.instructions = instructions
        self.problems = problems
    }

    /// The offboarding should start at once rather than at the end of a last day.
    public var runsNow: Bool { hostile?.value == true || immediate?.value == true }

    /// An offboarding with a leaver and a day (or one that runs now), and nothing to settle.
    public var isReady: Bool {
        isOffboarding?.value == true && leaver != nil && (lastDay != nil || runsNow) && problems.isEmpty
    }
}

/// The rules that read a ticket against one tenant's directory. Pure: no I/O, no clock (the
/// ticket's `receivedAt` is "now"), no language model. A name becomes a person only when exactly
/// one directory person fits it; anything less certain becomes a ``TicketProblem``.
public struct TicketReading: Sendable {
    public var directory: [PersonRef]
    public var timeZone: TimeZone
    public var dateOrder: DateOrder

    public init(directory: [PersonRef], timeZone: TimeZone, dateOrder: DateOrder) {
        self.directory = directory
        self.timeZone = timeZone
        self.dateOrder = dateOrder
    }

    public func read(_ ticket: TicketText) -> TicketExtraction {
        var reader = TicketReader(rules: self, ticket: ticket)
        return reader.extraction()
    }
}

// MARK: - Text the rules can point into

/// One piece of ticket text: a field rendered "Key: Value", the subject, or the body.
private struct Passage {
    enum Origin: Equatable {
        case field(FieldRole)
        case subject
        case body
    }

    let origin: Origin
    let text: String
}

/// A stretch of one passage; its words are always exactly the ticket's.
private struct TextSpan: Hashable {
    let passage: Int
    let range: Range<String.Index>

    func overlaps(_ other: TextSpan) -> Bool { passage == other.passage && range.overlaps(other.range) }
}

private enum NameResolution: Equatable {
    case person(PersonRef)
    case ambiguous([PersonRef])
    case notFound

    init(_ people: [PersonRef]) {
        switch people.count {
        case 0: self = .notFound
        case 1: self = .person(people[0])
        default: self = .ambiguous(people.sorted { $0.displayName < $1.displayName })
        }
    }
}

/// A name written in the ticket and whom it names.
private struct Mention {
    let span: TextSpan
    let words: String
    let resolution: NameResolution
}

/// One sentence of live text, with each recognised name replaced by a placeholder "⟨n⟩" so the
/// role patterns can say "a person here" without knowing names. Every UTF-16 unit of the shadow
/// remembers which original characters it stands for, so a match maps back to exact words.
private struct Sentence {
    let passage: Int
    let range: Range<String.Index>
    let mentions: [Mention]
    let shadow: String
    let origins: [Range<String.Index>]

    var length: Int { origins.count }

    func span(from start: Int, to end: Int) -> TextSpan {
        TextSpan(passage: passage, range: origins[start].lowerBound..<origins[end - 1].upperBound)
    }
}

// MARK: - The directory

private struct DirectoryIndex {
    let people: [PersonRef]
    let longestName: Int

    init(_ people: [PersonRef]) {
        self.people = people
        longestName = people.map { Self.nameWords($0.displayName).count }.max() ?? 0
    }

    static func nameWords(_ name: String) -> [String] {
        name.lowercased().split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }

    static func localPart(_ principal: String) -> String {
        String(principal.lowercased().split(separator: "@", maxSplits: 1).first ?? "")
    }

    func byAddress(_ address: String) -> [PersonRef] {
        let wanted = address.lowercased()
        return people.filter { $0.userPrincipalName.lowercased() == wanted }
    }

    func byLocalPart(_ local: String) -> [PersonRef] {
        let wanted = local.lowercased()
        return people.filter { Self.localPart($0.userPrincipalName) == wanted }
    }

    func byDisplayName(_ words: [String]) -> [PersonRef] {
        let wanted = words.map { $0.lowercased() }
        return people.filter { Self.nameWords($0.displayName) == wanted }
    }

    /// Given name = first word of the display name.
    func byGivenName(_ word: String) -> [PersonRef] {
        let wanted = word.lowercased()
        return people.filter { Self.nameWords($0.displayName).first == wanted }
    }

    /// Surname = last word of the display name.
    func bySurname(_ word: String) -> [PersonRef] {
        let wanted = word.lowercased()
        return people.filter {
            let words = Self.nameWords($0.displayName)
            return words.count > 1 && words.last == wanted
        }
    }

    /// A lone word names whoever has it as a given name; failing that, a unique surname. Nil when
    /// the word is nobody's name at all.
    func singleWord(_ word: String) -> NameResolution? {
        let given = byGivenName(word)
        if !given.isEmpty { return NameResolution(given) }
        let surname = bySurname(word)
        if !surname.isEmpty { return NameResolution(surname) }
        return nil
    }

    /// A whole PSA field value. Someone typed a name into a field labelled for it, so a lower-case
    /// "ben" counts here, unlike in the body.
    func phrase(_ text: String) -> NameResolution {
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if value.contains("@") { return NameResolution(byAddress(value)) }
        let byLocal = byLocalPart(value)
        if !byLocal.isEmpty { return NameResolution(byLocal) }
        let words = Self.nameWords(value)
        if words.count == 1, let single = singleWord(words[0]) { return single }
        if words.count == 2, TicketReader.isTitle(words[0]) { return NameResolution(bySurname(words[1])) }
        return NameResolution(byDisplayName(words))
    }
}

// MARK: - Fields

/// What a PSA field is for, from its label.
private enum FieldRole: Equatable {
    case leaver, lastDay, lastTime, delegate, forwardingTo, manager, hostile, other

    init(label: String) {
        let key = String(label.lowercased().filter { $0.isLetter || $0.isNumber })
        switch key {
        case "leaver", "leavername", "leavinguser", "leavingemployee", "userleaving", "employeeleaving", "departinguser",
            "departingemployee", "employee", "employeename", "staffmember", "offboarduser",
            "usertooffboard":
            self = .leaver
        case "lastday", "lastworkingday", "leavingdate", "lastdate", "enddate", "terminationdate", "departuredate",
            "exitdate", "finishdate", "effectivedate", "dateofleaving":
            self = .lastDay
        case "lasttime", "leavingtime", "endtime", "finishtime", "time":
            self = .lastTime
        case "delegate", "mailboxdelegate", "mailboxaccess", "accessto", "onedriveaccess", "filesto", "dataaccess",
            "handoverto", "delegateto":
            self = .delegate
        case "forwardto", "forwardmailto", "forwardemailto", "forwarding", "forwardingto", "mailforwarding",
            "emailforwarding", "forwardmail":
            self = .forwardingTo
        case "manager", "linemanager", "reportsto", "supervisor":
            self = .manager
        case "hostile", "hostileexit":
            self = .hostile
        default:
            self = .other
        }
    }
}

// MARK: - Patterns

/// An ICU pattern, case-insensitive unless asked otherwise. `NSRegularExpression` is immutable and Sendable, so the
/// compiled rules are shared; the Swift `Regex` type is not Sendable and matches far slower.
private struct Pattern: Sendable {
    let expression: NSRegularExpression

    init(_ source: String, caseSensitive: Bool = false) {
        do {
            expression = try NSRegularExpression(pattern: source, options: caseSensitive ? [] : [.caseInsensitive])
        } catch {
            // The patterns are constants; every test run compiles all of them.
            preconditionFailure("ticket pattern does not compile: \(source): \(error)")
        }
    }

    func all(in text: String, _ range: NSRange) -> [NSTextCheckingResult] {
        expression.matches(in: text, options: [], range: range)
    }

    func first(in text: String, _ range: NSRange) -> NSTextCheckingResult? {
        expression.firstMatch(in: text, options: [], range: range)
    }

    /// A match starting exactly at the start of `range`.
    func prefix(in text: String, _ range: NSRange) -> NSTextCheckingResult? {
        expression.firstMatch(in: text, options: [.anchored], range: range)
    }
}

private extension NSTextCheckingResult {
    func group(_ index: Int, in text: String) -> String? {
        let found = range(at: index)
        guard found.location != NSNotFound, let bounds = Range(found, in: text) else { return nil }
        return String(text[bounds])
    }

    var end: Int { range.location + range.length }
}

private enum PersonRole {
    case leaver, delegate, forwardingTo, manager

    var field: TicketProblem.Field {
        switch self {
        case .leaver: .leaver
        case .delegate: .delegate
        case .forwardingTo: .forwardingTo
        case .manager: .manager
        }
    }
}

/// A role is a person slot between an optional lead ("forward his mail to") and an optional
/// trail ("is leaving"). At least one of the two is present.
private struct RolePattern: Sendable {
    let role: PersonRole
    let lead: Pattern?
    let trail: Pattern?
    /// Stretch the evidence over "to his mailbox" so it reads as the request did.
    let reachesObject: Bool

    init(_ role: PersonRole, lead: String? = nil, trail: String? = nil, reachesObject: Bool = false) {
        self.role = role
        self.lead = lead.map { Pattern($0) }
        self.trail = trail.map { Pattern($0) }
        self.reachesObject = reachesObject
    }
}

private enum Grammar {
    static let person = #"⟨\d+⟩"#
    static let possessive = #"(?:'s|’s)"#
    static let pronoun = #"(?:his|her|their)"#
    static let owner = #"(?:his|her|their|the|⟨\d+⟩(?:'s|’s))"#
    static let things = #"(?:mailbox|mail|e-?mails?|inbox|onedrive|one\s*drive|files|documents|docs|data|calendar|account)"#
    static let weekdays = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    static let months =
        "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
    /// What may follow "leaving" when it means leaving the company ("is leaving on Friday"), not
    /// leaving something behind ("it's leaving streaks").
    static let leavingContext =
        #"(?=\s+(?:(?:us|the\s+(?:company|business|firm|team|organi[sz]ation)|on|at|this|next|today|tomorrow|tonight|in|after|end|effective|from|as\s+of|"#
        + weekdays + #")\b|\d)|\s*[.,!;:\-–—]|\s*$)"#

    // MARK: Roles

    static let roles: [RolePattern] = [
        // Leaver, name after the cue.
        RolePattern(.leaver, lead: #"\boff-?board(?:ing)?(?:\s+(?:for|of))?"#),
        RolePattern(
            .leaver,
            lead:
                #"\b(?:leavers?|leaving|departing\s+(?:user|employee)|user\s+leaving|termination|resignation|departure|exit|off-?boarding)(?:\s+(?:request|notice|notification|form|details))?\s*[:\-–—]"#
        ),
        RolePattern(
            .leaver,
            lead: #"\b(?:termination|resignation|departure|exit)(?:\s+(?:request|notice|notification|form|process))?\s+(?:for|of)"#),
        RolePattern(.leaver, lead: #"\b(?:terminate|terminated|dismiss|dismissed|fire|fired|sack|sacked)"#),
        RolePattern(.leaver, lead: #"\blet(?:ting)?"#, trail: #"\s+go\b"#),
        RolePattern(
            .leaver, lead: #"\b(?:disable|deactivate|block|suspend|lock|close|shut\s+down)"#,
            trail: possessive
                + #"?\s+(?:user\s+)?(?:account|accounts|login|user|access|sign-?ins?|o365|m365|office\s*365|microsoft\s*365)\b"#),
        RolePattern(.leaver, lead: #"\b(?:disable|deactivate|block|suspend)\s+the\s+(?:user\s+)?(?:account|login)s?\s+(?:of|for)"#),
        // Leaver, name before the cue.
        RolePattern(.leaver, trail: possessive + #"?\s+(?:last|final)\s+(?:working\s+)?day\b"#),
        RolePattern(.leaver, trail: possessive + #"\s+(?:last|final)\s+(?:working\s+)?day\b"#),
        RolePattern(
            .leaver,
            trail: #"(?:\s+(?:is|are|will\s+be|was)|(?:'s|’s))?\s+(?:leaving|finishing|departing|resigning|retiring)"#
                + leavingContext),
        RolePattern(
            .leaver,
            trail:
                #"\s+(?:has|have|had)\s+(?:resigned|left|retired|handed\s+in\s+(?:his|her|their)\s+notice|been\s+(?:terminated|dismissed|fired|sacked|let\s+go|made\s+redundant|walked\s+out|escorted|offboarded))"#
        ),
        RolePattern(
            .leaver,
            trail:
                #"\s+(?:was|were|is|are|is\s+being|will\s+be)\s+(?:terminated|dismissed|fired|sacked|let\s+go|made\s+redundant|walked\s+out|escorted|offboarded)"#
        ),
        RolePattern(
            .leaver,
            trail:
                #"\s+(?:resigned|retired|leaves|finishes|handed\s+in\s+(?:his|her|their)\s+(?:notice|resignation)|left\s+the\s+(?:company|business|firm|organi[sz]ation))\b"#
        ),
        RolePattern(.leaver, trail: #"\s+(?:is\s+)?no\s+longer\s+(?:with|works|working|employed)\b"#),
        RolePattern(.leaver, trail: possessive + #"\s+(?:termination|resignation|departure|offboarding|exit|leaving\s+date|notice)\b"#),
        RolePattern(.leaver, trail: #"\s*[\-–—:]\s*(?:leaver|leaving|last\s+day|offboarding|termination|resignation|departure)\b"#),

        // Manager.
        RolePattern(
            .manager,
            lead: #"\b(?:(?:his|her|their|the)\s+)?(?:line\s+|direct\s+|reporting\s+)?manager(?:\s+is|\s+will\s+be|\s*[:\-–—]|,)?"#),
        RolePattern(.manager, trail: #",?\s+(?:is\s+|was\s+)?(?:his|her|their)\s+(?:line\s+|direct\s+)?manager\b"#),
        RolePattern(.manager, lead: #"\breport(?:s|ed|ing)?\s+(?:directly\s+)?(?:in\s+)?to"#),

        // Delegate: who gets the mailbox and files.
        RolePattern(
            .delegate, lead: #"\b(?:give|grant|provide|allow|assign)"#,
            trail:
                #"\s+(?:full\s+|read(?:-only)?\s+|delegate[ds]?\s+|mailbox\s+|onedrive\s+)?(?:access|permissions?|rights|delegation|control)\b"#,
            reachesObject: true),
        RolePattern(
            .delegate,
            trail:
                #"\s+(?:should|will|can|must|needs?\s+to|is\s+to|to|would\s+like\s+to|wants?\s+to|is\s+going\s+to)\s+(?:have|get|be\s+given|be\s+granted|receive|take\s+over|keep|inherit)\s+(?:full\s+|read(?:-only)?\s+|delegate\s+)?(?:access|ownership|control|permissions?)\b"#,
            reachesObject: true),
        RolePattern(
            .delegate,
            trail: #"\s+(?:should|will|to|needs?\s+to|can)\s+(?:take\s+over|inherit|get|have|receive|look\s+after)\s+"# + owner + #"\s+"#
                + things + #"(?:\s+and\s+(?:"# + pronoun + #"\s+)?"# + things + ")?"),
        RolePattern(.delegate, trail: #"\s+(?:needs|wants|requires|requests|is\s+requesting)\s+(?:full\s+)?access\b"#, reachesObject: true),
        RolePattern(
            .delegate,
            lead: #"\bdelegat(?:e|ed|ion)(?:\s+(?:of\s+)?"# + owner
                + #"\s+(?:mailbox|inbox|onedrive|files|data|access|mail|calendar))?(?:\s+access)?\s+to"#
        ),
        RolePattern(
            .delegate,
            lead:
                #"\b(?:access|mailbox|inbox|onedrive|one\s*drive|files|documents|data|ownership|calendar)(?:\s+(?:should|will|can|needs\s+to|must|is\s+to|to|is|are))?(?:\s+be)?\s+(?:given|granted|shared|transferred|passed|handed\s+over|moved|assigned|delegated|reassigned)\s+(?:to|with)"#
        ),
        RolePattern(
            .delegate,
            lead: #"\b(?:transfer|hand\s+over|pass|move|give|assign|reassign)\s+(?:(?:all\s+)?(?:of\s+)?"# + owner
                + #"\s+)?(?:mailbox|inbox|onedrive|one\s*drive|files|documents|data|calendar)(?:\s+and\s+(?:"# + owner + #"\s+)?"# + things
                + #")?\s+(?:over\s+)?to"#),
        RolePattern(
            .delegate, lead: #"\bshare\s+(?:"# + owner + #"\s+)?(?:mailbox|inbox|onedrive|files|documents|calendar|data)\s+with"#),
        RolePattern(.delegate, lead: #"\b(?:(?:mailbox|onedrive|file|data)\s+(?:access|delegate|owner)|delegate)\s*[:\-–—]"#),

        // Forwarding.
        RolePattern(
            .forwardingTo,
            lead:
                #"\b(?:forward|redirect|route|divert)(?:ing|ed)?\s+(?:(?:his|her|their|the|new|incoming|future|all|any|of|it|them|everything|⟨\d+⟩(?:'s|’s))\s+)*(?:(?:mail|e-?mails?|messages|inbox|post|correspondence)\s+)?(?:(?:on|over|through)\s+)?to"#
        ),
        RolePattern(
            .forwardingTo,
            lead:
                #"\b(?:mail|e-?mails?|messages|inbox|correspondence)\s+(?:should\s+|to\s+|will\s+|must\s+|can\s+|needs\s+to\s+|is\s+to\s+)?(?:be\s+)?(?:forwarded|redirected|diverted|routed)\s+(?:on\s+)?to"#
        ),
        RolePattern(.forwardingTo, lead: #"\bforward(?:ing)?\s*(?:address|target)?\s*[:\-–—]"#),
    ]

    /// "to his mailbox and OneDrive", after a delegate cue.
    static let object = Pattern(
        #"\s+(?:to|on|for|of|over)\s+(?:all\s+(?:of\s+)?)?(?:"# + owner + #"\s+)?"# + things + #"(?:\s+and\s+(?:"# + owner + #"\s+)?"#
            + things + ")?")

    // MARK: Person slots (on the shadow, case-sensitive: an unknown name must be capitalised)

    static let nameWord = #"\p{Lu}[\p{L}'’\-]*"#
    static let itemAfter = Pattern(
        #"[ \t]*(?:(?i:his|her|their|the)\s+(?i:line\s+|direct\s+)?(?i:manager),?[ \t]+)?(?:⟨(\d+)⟩|((?<![\p{L}'’\-])"# + nameWord
            + "(?:[ ]" + nameWord + "){0,2}))",
        caseSensitive: true)
    static let itemBefore = Pattern(
        #"(?:⟨(\d+)⟩|((?<![\p{L}'’\-])"# + nameWord + "(?:[ ]" + nameWord + #"){0,2}))[ \t]*$"#, caseSensitive: true)
    static let joinAfter = Pattern(#"[ \t]*(,[ \t]*and|,|and|&|\+)[ \t]+"#)
    static let joinBefore = Pattern(#"[ \t]*(,[ \t]*and|,|\band|&|\+)[ \t]*$"#)

    // MARK: What kind of ticket

    static let offboarding: [Pattern] = [
        #"\b(?:last|final)\s+(?:working\s+)?day\b"#,
        #"\b(?:is|are|will\s+be|was|'s|’s)\s+(?:leaving|finishing|departing|resigning|retiring)"# + leavingContext,
        #"\bleaving\s+(?:the\s+)?(?:company|business|firm|organi[sz]ation)\b"#,
        #"\bleaving\s+date\b"#,
        #"\bleavers?\b"#,
        #"\boff-?board(?:ing|ed)?\b"#,
        #"\bresign(?:ed|ation|s|ing)?\b"#,
        #"\bterminat(?:ed|ion)\b"#,
        #"\bdismiss(?:ed|al)\b"#,
        #"\b(?:fired|sacked)\b"#,
        #"\blet\s+(?:him|her|them|⟨\d+⟩)\s+go\b"#,
        #"\bmade\s+redundant\b"#,
        #"\bno\s+longer\s+(?:with|works|working|employed)\b"#,
        #"\bhanded\s+in\s+(?:his|her|their)\s+notice\b"#,
        #"\b(?:disable|deactivate|block|suspend|close)\s+(?:(?:his|her|their|the|this|⟨\d+⟩(?:'s|’s)?)\s+)?(?:user\s+)?(?:account|accounts|login|sign-?in|user)\b"#,
        #"\bwalked\s+(?:him\s+|her\s+|them\s+)?out\b"#,
        #"\bescorted\b"#,
        #"\bleft\s+the\s+(?:company|business|firm|organi[sz]ation)\b"#,
        #"\bdeparture\b"#,
        #"\bexit\s+(?:date|interview|process)\b"#,
    ].map { Pattern($0) }

    /// Cues of the tickets an MSP gets most that are not offboardings, so "not an offboarding"
    /// can say why.
    static let otherTicket = Pattern(
        #"\bpassword(?:\s+reset)?\b|\breset\s+(?:(?:his|her|their|my|the|a)\s+)?password\b|\bnew\s+(?:starter|joiner|hire|employee|user)\b|\bonboard(?:ing)?\b|\bprinter\b|\blocked\s+out\b"#
    )

    static let hostile: [Pattern] = [
        #"\beffective\s+immediately\b"#,
        #"\bwith\s+immediate\s+effect\b"#,
        #"\bterminat(?:ed|ion)\b"#,
        #"\bdismiss(?:ed|al)\b"#,
        #"\b(?:fired|sacked)\b"#,
        #"\bgross\s+misconduct\b"#,
        #"\b(?:do\s+not|don't|don’t|dont|must\s+not|mustn't|should\s+not|shouldn't)\s+(?:notify|tell|inform|alert|warn|contact|email|let\s+(?:him|her|them)\s+know)\b"#,
        #"\bwithout\s+(?:notifying|telling|informing|warning|alerting)\b"#,
        #"\bnot\s+to\s+be\s+(?:told|notified|informed|warned)\b"#,
        #"\bwalked\s+(?:him\s+|her\s+|them\s+)?out\b"#,
        #"\bescorted\b"#,
    ].map { Pattern($0) }

    /// The exit itself is immediate: hostile as well as immediate.
    static let immediateExit = Pattern(#"\beffective\s+immediately\b|\bwith\s+immediate\s+effect\b"#)
    /// The technician is asked to act now.
    static let immediate = Pattern(
        #"\bimmediately\b|\bright\s+(?:now|away)\b|\basap\b|\ba\.s\.a\.p\b|\bas\s+soon\s+as\s+possible\b|\bstraight\s+away\b"#)

    /// "This is not a termination": the cue right after a negation does not count.
    static let negation = Pattern(#"\b(?:not|no|isn't|isn’t|isnt|wasn't|wasn’t|never)\s+(?:a\s+|an\s+|being\s+|been\s+)?$"#)

    // MARK: Dates and times

    /// Words that say the date near them is the last day.
    static let when = Pattern(
        #"\b(?:last|final)\s+(?:working\s+)?day\b|\bleav(?:ing|es)\b|\bfinish(?:es|ing)?\b|\bdepart(?:s|ing)?\b|\beffective\b|\bend\s+date\b|\bterminat(?:ed|ion|e)\b|\bresign(?:ed|ation|s)?\b|\boff-?board(?:ing)?\b|\bdisable\b|\bleaver\b|\bexit\b|\bworking\s+until\b|\bwith\s+us\s+until\b"#
    )
    /// A date after these words is about something else ("forward his mail until 31 January").
    static let otherPeriod = Pattern(#"\b(?:until|till|til|through|thru|from|after|since|for)\s+(?:the\s+)?$"#)

    static let isoDate = Pattern(#"\b(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b"#)
    static let numericDate = Pattern(#"(?<![\d/.\-:])(\d{1,2})([/.\-])(\d{1,2})(?:\2(\d{4}|\d{2}))?(?![\d/:]|[.\-]\d)"#)
    static let dayMonth = Pattern(
        #"\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+("# + months + #")\b\.?(?:,?\s+(\d{4})\b)?"#)
    static let monthDay = Pattern(#"\b("# + months + #")\b\.?\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?"#)
    static let weekday = Pattern(#"\b(?:(this\s+coming|this|next|coming|last)\s+)?("# + weekdays + #")\b"#)
    static let relativeDay = Pattern(#"\b(today|tonight|tomorrow|tmrw)\b"#)
    static let endOf = Pattern(#"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(next\s+)?(week|month)\b"#)
    /// "Friday, 4 December": the weekday and the date are one expression.
    static let weekdayJoin = Pattern(#"^,?\s*(?:the\s+)?$"#)

    static let twelveHour = Pattern(#"(?<![\d:.])(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)(?!\p{L})"#)
    static let twentyFourHour = Pattern(#"(?<![\d:./])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])(?:\s*(?:hrs|h)\b)?"#)
    static let noon = Pattern(#"\b(?:12\s+)?(?:noon|midday)\b"#)

    // MARK: Body clean-up and instructions

    static let replyHeader = Pattern(
        #"^(?:on\s.+\swrote:|-{2,}\s*(?:original\s+message|forwarded\s+message)\s*-*|sent\s+from\s+my\b.*|--)\s*$"#)
    /// "Thanks, Dan" / "Kind regards,": everything from here on is signature.
    static let signOff = Pattern(
        #"^(?:thanks|thank\s+you|many\s+thanks|thanks\s+again|regards|kind\s+regards|best\s+regards|warm\s+regards|best\s+wishes|best|cheers|sincerely|yours\s+sincerely|ta)(?:[\s,.!]+(?-i:\p{Lu}[\p{L}'’.\-]*)(?:\s+(?-i:\p{Lu}[\p{L}'’.\-]*)){0,2})?[\s,.!]*$"#
    )
    static let greetingLine = Pattern(
        #"^(?:hi|hello|hey|hiya|dear|good\s+(?:morning|afternoon|evening)|morning|afternoon)\b(?:[\s,]+[\p{L}'’\-]+){0,3}[\s,.!:]*$"#)
    static let greetingPrefix = Pattern(
        #"^(?:hi|hello|hey|hiya|dear|good\s+(?:morning|afternoon|evening)|morning|afternoon)\b(?:\s+[\p{L}'’\-]+){0,3}\s*[,!:]\s*"#)
    static let bullet = Pattern(#"^(?:[-*•·]+|\d{1,2}[.)])\s+"#)
    static let clauseBreak = Pattern(
        #"\s*;\s*|,\s*(?:and\s+)?(?:also|then|plus)\s+|,?\s+(?:and|but)\s+(?:also\s+|then\s+|please\s+)?(?=(?:please|keep|retain|preserve|remove|cancel|wipe|archive|export|collect|return|revoke|delete|convert|hide|add|transfer|change|set|leave|move|reassign|send|notify|inform|update|block|book|arrange|schedule|make|ensure|give|grant|forward|disable|delegate|share|put)\b)"#
    )
    static let request = Pattern(
        #"^(?:please|pls|kindly|can\s+you|could\s+you|would\s+you|will\s+you|also|make\s+sure|ensure|keep|retain|preserve|hold|remove|cancel|wipe|archive|export|back\s*up|collect|return|revoke|delete|convert|hide|add|transfer|change|set|leave|don't|don’t|do\s+not|we\s+need|we'd\s+like|we\s+would\s+like|i\s+need|i'd\s+like|need|put|move|reassign|reclaim|recover|send|notify|inform|tell|update|block|book|arrange|schedule)\b|\bplease\b|\b(?:needs?\s+to|should|must|has\s+to|have\s+to)\b"#
    )
    static let pleasantry = Pattern(
        #"^(?:thanks|thank\s+you|many\s+thanks|cheers|regards|kind\s+regards|best|hi|hello|hey|dear|let\s+(?:me|us)\s+know|any\s+questions|shout\s+if|hope|happy\s+to|feel\s+free)\b"#
    )
}

// MARK: - Reading one ticket

/// A date expression while it is being read; `weekday` is set for a bare weekday.
private struct DateCandidate {
    var start: Int
    var end: Int
    var day: LocalDay?
    var note: String?
    var failure: String?
    var weekday: Int?
}

private struct DateMention {
    let sentence: Int
    let start: Int
    let end: Int
    let span: TextSpan
    let day: LocalDay?
    let note: String?
    /// Why `day` is nil: the words are not a real date.
    let failure: String?
}

private struct TimeMention {
    let sentence: Int
    let start: Int
    let end: Int
    let span: TextSpan
    let time: LocalTime
}

/// A word of ticket text; a possessive "'s" is left outside it so "Ben's" is the name "Ben".
private struct Word {
    let range: Range<String.Index>
    let text: Substring
    let possessive: Bool
    var isCapitalised: Bool { text.first?.isUppercase ?? false }
}

private struct RoleHit {
    let role: PersonRole
    let mentions: [Mention]
    let span: TextSpan
    let sentence: Int
}

private struct CueMatch {
    let start: Int
    let end: Int
    let span: TextSpan
}

private struct TicketReader {
    let rules: TicketReading
    let ticket: TicketText
    let directory: DirectoryIndex
    let today: LocalDay

    var passages: [Passage] = []
    /// Live sentences of the subject and body, in reading order.
    var sentences: [Sentence] = []
    /// Sentences made of "Key: Value" for PSA fields the rules have no slot for, read for cues only.
    var fieldSentences: [Sentence] = []
    var personFields: [(role: FieldRole, passage: Int)] = []
    var dayField: Int?
    var timeField: Int?
    var hostileField: Int?
    var hits: [RoleHit] = []
    /// Spans some rule already used; an instruction is a clause no rule touched.
    var consumed: [TextSpan] = []

    init(rules: TicketReading, ticket: TicketText) {
        self.rules = rules
        self.ticket = ticket
        directory = DirectoryIndex(rules.directory)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = rules.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: ticket.receivedAt)
        // Gregorian components of a real instant are always present; the defaults only satisfy the type.
        today = LocalDay(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }

    func words(_ span: TextSpan) -> String { String(passages[span.passage].text[span.range]) }

    func evidence(_ span: TextSpan, note: String? = nil) -> Evidence { Evidence(words: words(span), note: note) }

    func wholeEvidence(_ passage: Int) -> Evidence { Evidence(words: passages[passage].text) }

    /// A cue inside a PSA field cites the whole "Key: Value", as every field-borne value does.
    func cueEvidence(_ span: TextSpan) -> Evidence {
        if case .field = passages[span.passage].origin { return wholeEvidence(span.passage) }
        return evidence(span)
    }

    // MARK: The pipeline

    mutating func extraction() -> TicketExtraction {
        collectPassages()
        var result = TicketExtraction()
        result.isOffboarding = offboardingCue()
        guard result.isOffboarding?.value == true else { return result }

        hits = roleHits()
        consumed += hits.map(\.span)
        var problems: [TicketProblem] = []

        let leaver = readLeaver(hits: hits, problems: &problems)
        result.leaver = leaver
        for role in [PersonRole.delegate, .forwardingTo, .manager] {
            let person = readRole(role, hits: hits, problems: &problems)
            switch role {
            case .delegate: result.delegate = person
            case .forwardingTo: result.forwardingTo = person
            case .manager: result.manager = person
            case .leaver: break
            }
        }

        result.hostile = readHostile()
        let (day, time) = readLastDay(problems: &problems)
        result.lastDay = day
        result.lastTime = time
        result.immediate = readImmediate(hasDay: day != nil)
        if day == nil, !result.runsNow, !problems.contains(where: { $0.field == .lastDay }) {
            let who = leaver.map { "\($0.value.displayName)'s" } ?? "the"
            problems.append(
                TicketProblem(
                    field: .lastDay, kind: .missing, evidence: nil,
                    message: "The ticket does not say when \(who) last day is. Enter the last day."))
        }
        // Stable: within a field, problems stay in reading order.
        result.problems = problems.enumerated().sorted {
            (Self.order($0.element.field), $0.offset) < (Self.order($1.element.field), $1.offset)
        }
        .map(\.element)
        result.instructions = readInstructions()
        return result
    }

    static func order(_ field: TicketProblem.Field) -> Int {
        switch field {
        case .leaver: 0
        case .lastDay: 1
        case .delegate: 2
        case .forwardingTo: 3
        case .manager: 4
        }
    }

    // MARK: Passages and sentences

    mutating func collectPassages() {
        // Sorted so a ticket reads the same however the PSA ordered its fields.
        for key in ticket.fields.keys.sorted() {
            guard let value = ticket.fields[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { continue }
            let role = FieldRole(label: key)
            let index = passages.count
            passages.append(Passage(origin: .field(role), text: "\(key): \(value)"))
            switch role {
            case .leaver, .delegate, .forwardingTo, .manager: personFields.append((role, index))
            case .lastDay: dayField = dayField ?? index
            case .lastTime: timeField = timeField ?? index
            case .hostile: hostileField = hostileField ?? index
            case .other:
                let text = passages[index].text
                fieldSentences.append(sentence(passage: index, range: text.startIndex..<text.endIndex))
            }
        }
        let subject = passages.count
        passages.append(Passage(origin: .subject, text: ticket.subject))
        let subjectText = ticket.subject
        for range in Self.split(subjectText, subjectText.startIndex..<subjectText.endIndex) {
            sentences.append(sentence(passage: subject, range: range))
        }
        let body = passages.count
        passages.append(Passage(origin: .body, text: ticket.body))
        for line in Self.liveLines(of: ticket.body) {
            for range in Self.split(ticket.body, line) {
                sentences.append(sentence(passage: body, range: range))
            }
        }
    }

    /// The lines of the body a person wrote for this ticket: no quoted reply ("> …", "On … wrote:"),
    /// no greeting line, nothing from the sign-off ("Thanks, Dan") on, so the requester's name in
    /// a signature is never read as the leaver.
    static func liveLines(of body: String) -> [Range<String.Index>] {
        var lines: [Range<String.Index>] = []
        var start = body.startIndex
        while start <= body.endIndex {
            let end = body[start...].firstIndex(where: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) ?? body.endIndex
            let line = trim(body, start..<end)
            if !line.isEmpty {
                let text = nsRange(body, line)
                if body[line].hasPrefix(">") {
                    // A quoted earlier message: its names and dates belong to someone else's request.
                } else if Grammar.replyHeader.prefix(in: body, text) != nil {
                    break
                } else if Grammar.signOff.prefix(in: body, text) != nil {
                    // A "Thanks!" before any request is a pleasantry; after one, the signature starts.
                    if !lines.isEmpty { break }
                } else if Grammar.greetingLine.prefix(in: body, text) == nil {
                    var live = line
                    if let greeting = Grammar.greetingPrefix.prefix(in: body, text), let bounds = Range(greeting.range, in: body) {
                        live = bounds.upperBound..<line.upperBound
                    }
                    if !live.isEmpty { lines.append(live) }
                }
            }
            guard end < body.endIndex else { break }
            start = body.index(after: end)
        }
        return lines
    }

    static func trim(_ text: String, _ range: Range<String.Index>) -> Range<String.Index> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, text[lower].isWhitespace { lower = text.index(after: lower) }
        while upper > lower, text[text.index(before: upper)].isWhitespace { upper = text.index(before: upper) }
        return lower..<upper
    }

    static let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "mx", "st", "e.g", "i.e", "approx", "vs"]

    /// Sentences of one line, without their closing punctuation or a leading bullet, so a kept
    /// instruction reads exactly as written.
    static func split(_ text: String, _ line: Range<String.Index>) -> [Range<String.Index>] {
        var result: [Range<String.Index>] = []
        var start = line.lowerBound
        var index = line.lowerBound
        func close(_ end: Range<String.Index>.Bound) {
            var piece = trim(text, start..<end)
            if let bullet = Grammar.bullet.prefix(in: text, nsRange(text, piece)), let bounds = Range(bullet.range, in: text) {
                piece = bounds.upperBound..<piece.upperBound
            }
            if !piece.isEmpty { result.append(piece) }
        }
        while index < line.upperBound {
            let character = text[index]
            let next = text.index(after: index)
            if ".!?".contains(character), next == line.upperBound || text[next].isWhitespace {
                let before = text[start..<index].split(whereSeparator: { $0.isWhitespace }).last.map { $0.lowercased() } ?? ""
                if !(character == "." && abbreviations.contains(before)) {
                    close(index)
                    start = next
                }
            }
            index = next
        }
        close(line.upperBound)
        return result
    }

    // MARK: Names in a sentence

    static func tokens(_ text: String, _ range: Range<String.Index>) -> [Word] {
        var result: [Word] = []
        var index = range.lowerBound
        func isCore(_ character: Character) -> Bool { character.isLetter || character.isNumber }
        while index < range.upperBound {
            guard isCore(text[index]) else {
                index = text.index(after: index)
                continue
            }
            let start = index
            while index < range.upperBound {
                let character = text[index]
                let next = text.index(after: index)
                if isCore(character) {
                    index = next
                } else if ".'’-@+_".contains(character), next < range.upperBound, isCore(text[next]) {
                    index = next
                } else {
                    break
                }
            }
            var end = index
            var possessive = false
            let lowered = text[start..<end].lowercased()
            if lowered.count > 2, lowered.hasSuffix("'s") || lowered.hasSuffix("’s") {
                end = text.index(end, offsetBy: -2)
                possessive = true
            }
            result.append(Word(range: start..<end, text: text[start..<end], possessive: possessive))
        }
        return result
    }

    static func isTitle(_ word: String) -> Bool { ["mr", "mrs", "ms", "miss", "dr", "mx"].contains(word.lowercased()) }

    static let fileEndings: Set<String> = [
        "com", "net", "org", "uk", "io", "co", "gov", "edu", "info", "biz", "txt", "pdf", "doc", "docx", "xls", "xlsx", "csv", "exe",
        "zip", "png", "jpg", "msg", "eml", "html", "htm", "ps1",
    ]

    /// Words that are never part of an unknown person's name, even when capitalised (sentence
    /// starts, products, dates). Known names are found by the directory, not by this list.
    static let notNames: Set<String> = [
        "i", "we", "you", "he", "she", "they", "it", "his", "her", "hers", "him", "them", "their", "our", "my", "me", "us", "its",
        "the", "a", "an", "this", "that", "these", "those", "please", "pls", "kindly", "hi", "hello", "hey", "dear", "thanks",
        "thank", "regards", "cheers", "also", "and", "or", "but", "so", "as", "if", "can", "could", "would", "will", "should",
        "shall", "may", "might", "must", "do", "does", "did", "don't", "not", "no", "yes", "is", "are", "was", "were", "be",
        "been", "has", "have", "had", "re", "fw", "fwd", "urgent", "asap", "important", "offboarding", "offboard", "leaver",
        "leavers", "leaving", "termination", "terminated", "resignation", "departure", "exit", "request", "user", "account",
        "mailbox", "email", "mail", "onedrive", "sharepoint", "teams", "team", "outlook", "exchange", "microsoft", "office",
        "zoom", "slack", "hr", "ceo", "cfo", "cto", "manager", "today", "tomorrow", "tonight", "eod", "cob", "noon", "effective",
        "immediately", "unfortunately", "sadly", "regrettably", "just", "note", "fyi", "new", "starter", "after", "before",
        "from", "to", "on", "at", "by", "for", "with", "in", "of", "per", "when", "once", "until", "then", "there", "here",
        "what", "who", "where", "why", "how", "all", "any", "every", "each", "some", "none", "ok", "okay", "last", "final", "day",
        "week", "month", "year", "end", "next", "coming", "let", "subject", "ticket", "laptop", "phone", "legal", "keep",
        "remove", "cancel", "forward", "give", "grant", "disable", "delete", "set", "make", "ensure", "lock", "block", "reset",
        "password", "printer", "update", "access", "files", "licence", "license", "group", "groups", "distribution", "sales",
        "finance", "accounts", "support", "helpdesk", "service", "desk", "director", "head", "lead", "mr", "mrs", "ms", "miss",
        "dr", "mx", "sir", "madam", "everyone", "folks", "guys", "morning", "afternoon", "evening", "good", "best", "kind",
        "many", "sent", "iphone", "android", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "june", "july", "august", "september", "october", "november", "december", "jan",
        "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gmt", "bst", "utc", "am", "pm", "one",
        "two", "sure", "great", "heads", "up", "further", "following", "via", "since", "while", "tell", "ask", "send", "notify",
        "inform", "contact", "remind", "confirm", "move", "transfer", "assign", "add", "check", "get", "see", "cc", "message",
        "call", "ping", "share", "delegate", "wipe", "archive", "export", "return", "collect", "revoke", "convert", "hide",
        "change", "leave", "offboarded", "security",
    ]

    /// A capitalised word that could be part of a name nobody in the directory has.
    func isUnknownNameWord(_ word: String) -> Bool {
        guard let first = word.first, first.isUppercase, word.count >= 2 else { return false }
        guard word.allSatisfy({ $0.isLetter || "'’-".contains($0) }) else { return false }
        // "HR", "IT", "CEO": acronyms, not names.
        if word.allSatisfy({ !$0.isLetter || $0.isUppercase }) { return false }
        return !Self.notNames.contains(word.lowercased())
    }

    func mentions(passage: Int, range: Range<String.Index>) -> [Mention] {
        let text = passages[passage].text
        let words = Self.tokens(text, range)
        var found: [Mention] = []
        func adjacent(_ left: Int, _ right: Int, afterTitle: Bool = false) -> Bool {
            guard left >= 0, right < words.count, !words[left].possessive else { return false }
            let gap = text[words[left].range.upperBound..<words[right].range.lowerBound]
            let allowed: Set<Character> = afterTitle ? [" ", "\t", "."] : [" ", "\t"]
            return !gap.isEmpty && gap.allSatisfy { allowed.contains($0) } && gap.contains { $0 == " " || $0 == "\t" }
        }
        func add(_ first: Int, _ last: Int, _ resolution: NameResolution) {
            let span = TextSpan(passage: passage, range: words[first].range.lowerBound..<words[last].range.upperBound)
            found.append(Mention(span: span, words: String(text[span.range]), resolution: resolution))
        }
        /// The longest run of words from `start` that is someone's whole display name.
        func displayName(from start: Int) -> (count: Int, people: [PersonRef])? {
            var count = min(directory.longestName, words.count - start)
            while count >= 2 {
                let chained = (start..<(start + count - 1)).allSatisfy { adjacent($0, $0 + 1) }
                if chained {
                    let people = directory.byDisplayName(words[start..<(start + count)].map { String($0.text) })
                    if !people.isEmpty { return (count, people) }
                }
                count -= 1
            }
            return nil
        }
        var index = 0
        var lastUsed = -1
        while index < words.count {
            let word = words[index]
            let lowered = word.text.lowercased()
            if lowered.contains("@") {
                if lowered.split(separator: "@").last?.contains(".") == true {
                    add(index, index, NameResolution(directory.byAddress(lowered)))
                    lastUsed = index
                }
                index += 1
                continue
            }
            if Self.isTitle(lowered), adjacent(index, index + 1, afterTitle: true) {
                if let full = displayName(from: index + 1) {
                    add(index, index + full.count, NameResolution(full.people))
                    index += 1 + full.count
                    lastUsed = index - 1
                    continue
                }
                let surname = String(words[index + 1].text)
                if words[index + 1].isCapitalised {
                    // "Mr Carter": a title makes a surname a name even when it is not unique.
                    add(index, index + 1, NameResolution(directory.bySurname(surname)))
                    index += 2
                    lastUsed = index - 1
                    continue
                }
            }
            if let full = displayName(from: index) {
                add(index, index + full.count - 1, NameResolution(full.people))
                index += full.count
                lastUsed = index - 1
                continue
            }
            let parts = lowered.split(whereSeparator: { $0 == "." || $0 == "_" })
            if parts.count >= 2, parts.allSatisfy({ $0.count >= 2 && $0.allSatisfy(\.isLetter) }) {
                let people = directory.byLocalPart(lowered)
                if !people.isEmpty {
                    add(index, index, NameResolution(people))
                    lastUsed = index
                } else if let ending = parts.last, !Self.fileEndings.contains(String(ending)), word.text == word.text.lowercased() {
                    // "zara.quinn" reads as an account name, just not one of this tenant's.
                    add(index, index, .notFound)
                    lastUsed = index
                }
                index += 1
                continue
            }
            // A lone given name or surname must be capitalised: "will", "grace", "jack" are words too.
            if word.isCapitalised, let single = directory.singleWord(lowered) {
                let known = { (other: Int) in directory.singleWord(words[other].text.lowercased()) != nil }
                if adjacent(index, index + 1), isUnknownNameWord(String(words[index + 1].text)), !known(index + 1) {
                    // "Ben Smith" is not Ben Carter: a known first name with an unknown surname is
                    // someone else, never a guess at the known one.
                    add(index, index + 1, .notFound)
                    index += 2
                    lastUsed = index - 1
                    continue
                }
                if index - 1 > lastUsed, adjacent(index - 1, index), isUnknownNameWord(String(words[index - 1].text)),
                    !known(index - 1)
                {
                    add(index - 1, index, .notFound)
                } else {
                    add(index, index, single)
                }
                lastUsed = index
            }
            index += 1
        }
        return found
    }

    func sentence(passage: Int, range: Range<String.Index>) -> Sentence {
        let text = passages[passage].text
        let found = mentions(passage: passage, range: range)
        var shadow = ""
        var origins: [Range<String.Index>] = []
        var index = range.lowerBound
        var next = 0
        while index < range.upperBound {
            if next < found.count, found[next].span.range.lowerBound == index {
                let placeholder = "⟨\(next)⟩"
                shadow += placeholder
                origins += Array(repeating: found[next].span.range, count: placeholder.utf16.count)
                index = found[next].span.range.upperBound
                next += 1
                continue
            }
            let character = text[index]
            let after = text.index(after: index)
            shadow.append(character)
            origins += Array(repeating: index..<after, count: String(character).utf16.count)
            index = after
        }
        return Sentence(passage: passage, range: range, mentions: found, shadow: shadow, origins: origins)
    }

    // MARK: Cues

    func cueMatches(_ patterns: [Pattern], in sentence: Sentence) -> [CueMatch] {
        var matches: [CueMatch] = []
        for pattern in patterns {
            for match in pattern.all(in: sentence.shadow, NSRange(location: 0, length: sentence.length)) where match.range.length > 0 {
                let before = NSRange(location: 0, length: match.range.location)
                if Grammar.negation.first(in: sentence.shadow, before) != nil { continue }
                matches.append(
                    CueMatch(start: match.range.location, end: match.end, span: sentence.span(from: match.range.location, to: match.end)))
            }
        }
        return matches.sorted { $0.start < $1.start }
    }

    mutating func offboardingCue() -> Extracted<Bool>? {
        var first: Extracted<Bool>?
        for sentence in fieldSentences + sentences {
            let cues = cueMatches(Grammar.offboarding, in: sentence)
            consumed += cues.map(\.span)
            if first == nil, let cue = cues.first { first = Extracted(value: true, evidence: cueEvidence(cue.span)) }
        }
        if let first { return first }
        if let field = personFields.first(where: { $0.role == .leaver }) ?? dayField.map({ (FieldRole.lastDay, $0) }) {
            return Extracted(value: true, evidence: wholeEvidence(field.passage))
        }
        for sentence in fieldSentences + sentences {
            if let match = Grammar.otherTicket.first(in: sentence.shadow, NSRange(location: 0, length: sentence.length)) {
                return Extracted(value: false, evidence: cueEvidence(sentence.span(from: match.range.location, to: match.end)))
            }
        }
        return nil
    }

    mutating func readHostile() -> Extracted<Bool>? {
        if let field = hostileField {
            let value =
                passages[field].text.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            if ["yes", "y", "true", "1"].contains(value) { return Extracted(value: true, evidence: wholeEvidence(field)) }
            if ["no", "n", "false", "0"].contains(value) { return Extracted(value: false, evidence: wholeEvidence(field)) }
        }
        var first: Extracted<Bool>?
        for sentence in fieldSentences + sentences {
            let cues = cueMatches(Grammar.hostile, in: sentence)
            consumed += cues.map(\.span)
            if first == nil, let cue = cues.first { first = Extracted(value: true, evidence: cueEvidence(cue.span)) }
        }
        return first
    }

    /// "Asap" beside a last day means "set this up soon", not "cut him off now", so only the
    /// exit-itself phrases count when the ticket gives a day.
    mutating func readImmediate(hasDay: Bool) -> Extracted<Bool>? {
        var first: Extracted<Bool>?
        for sentence in fieldSentences + sentences {
            var cues = cueMatches([Grammar.immediateExit], in: sentence)
            if !hasDay { cues += cueMatches([Grammar.immediate], in: sentence) }
            consumed += cues.map(\.span)
            if first == nil, let cue = cues.min(by: { $0.start < $1.start }) {
                first = Extracted(value: true, evidence: cueEvidence(cue.span))
            }
        }
        return first
    }

    // MARK: Roles

    /// Person slots after `offset` in reading order: "Ben Carter", "Ben Carter and Chloe Diaz",
    /// "Amy, Ben and Chloe". A comma only joins names when an "and" closes the list, so
    /// "offboard Ben, Kate gets his files" names one leaver.
    func itemsAfter(_ offset: Int, in sentence: Sentence) -> (mentions: [Mention], end: Int)? {
        var items: [(mention: Mention, end: Int)] = []
        var closedByAnd = false
        var cursor = offset
        while let found = item(after: cursor, in: sentence) {
            items.append(found)
            if closedByAnd { break }
            let rest = NSRange(location: found.end, length: sentence.length - found.end)
            guard let join = Grammar.joinAfter.prefix(in: sentence.shadow, rest) else { break }
            closedByAnd = Self.isAnd(join.group(1, in: sentence.shadow))
            cursor = join.end
        }
        guard let first = items.first else { return nil }
        if !closedByAnd || items.count == 1 { return ([first.mention], first.end) }
        return (items.map(\.mention), items[items.count - 1].end)
    }

    static func isAnd(_ join: String?) -> Bool {
        guard let join = join?.lowercased() else { return false }
        return join.hasSuffix("and") || join == "&" || join == "+"
    }

    func item(after offset: Int, in sentence: Sentence) -> (mention: Mention, end: Int)? {
        guard offset <= sentence.length,
            let match = Grammar.itemAfter.prefix(in: sentence.shadow, NSRange(location: offset, length: sentence.length - offset))
        else { return nil }
        if let number = match.group(1, in: sentence.shadow).flatMap({ Int($0) }), number < sentence.mentions.count {
            return (sentence.mentions[number], match.end)
        }
        let run = match.range(at: 2)
        guard run.location != NSNotFound,
            let unknown = unknownName(in: sentence, start: run.location, end: run.location + run.length, fromStart: true)
        else { return nil }
        return (unknown.mention, unknown.end)
    }

    func items(before offset: Int, in sentence: Sentence) -> (mentions: [Mention], start: Int)? {
        var items: [Mention] = []
        var cursor = offset
        var start = offset
        var joins = 0
        while cursor > 0 {
            guard let match = Grammar.itemBefore.first(in: sentence.shadow, NSRange(location: 0, length: cursor)) else { break }
            let mention: Mention
            let itemStart: Int
            if let number = match.group(1, in: sentence.shadow).flatMap({ Int($0) }), number < sentence.mentions.count {
                mention = sentence.mentions[number]
                itemStart = match.range.location
            } else {
                let run = match.range(at: 2)
                guard run.location != NSNotFound,
                    let unknown = unknownName(in: sentence, start: run.location, end: run.location + run.length, fromStart: false)
                else { break }
                mention = unknown.mention
                itemStart = unknown.start
            }
            items.insert(mention, at: 0)
            start = itemStart
            guard let join = Grammar.joinBefore.first(in: sentence.shadow, NSRange(location: 0, length: itemStart)) else { break }
            let isAnd = Self.isAnd(join.group(1, in: sentence.shadow))
            // Reading backwards, a list's "and" comes first; a comma first is not a list.
            if joins == 0, !isAnd { break }
            if joins > 0, isAnd { break }
            joins += 1
            cursor = join.range.location
        }
        return items.isEmpty ? nil : (items, start)
    }

    /// Capitalised words no directory name matched: the name of someone not in the tenant. Reads
    /// from the slot side so "Sadly Zara Quinn is leaving" keeps "Zara Quinn".
    func unknownName(in sentence: Sentence, start: Int, end: Int, fromStart: Bool) -> (mention: Mention, start: Int, end: Int)? {
        let text = sentence.shadow as NSString
        let run = text.substring(with: NSRange(location: start, length: end - start))
        var pieces = run.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var offsets: [Int] = []
        var position = start
        for piece in pieces {
            offsets.append(position)
            position += piece.utf16.count + 1
        }
        var kept: [(word: String, offset: Int)] = []
        if fromStart {
            for (piece, offset) in zip(pieces, offsets) {
                var word = piece
                let possessive = word.hasSuffix("'s") || word.hasSuffix("’s")
                if possessive { word = String(word.dropLast(2)) }
                guard isUnknownNameWord(word) else { break }
                kept.append((word, offset))
                if possessive { break }
            }
        } else {
            pieces.reverse()
            offsets.reverse()
            for (piece, offset) in zip(pieces, offsets) {
                guard isUnknownNameWord(piece) else { break }
                kept.insert((piece, offset), at: 0)
            }
        }
        guard let first = kept.first, let last = kept.last else { return nil }
        let runEnd = last.offset + last.word.utf16.count
        let span = sentence.span(from: first.offset, to: runEnd)
        return (Mention(span: span, words: words(span), resolution: .notFound), first.offset, runEnd)
    }

    func roleHits() -> [RoleHit] {
        var hits: [RoleHit] = []
        for (index, sentence) in sentences.enumerated() {
            let whole = NSRange(location: 0, length: sentence.length)
            for pattern in Grammar.roles {
                if let lead = pattern.lead {
                    for match in lead.all(in: sentence.shadow, whole) {
                        guard let (mentions, itemsEnd) = itemsAfter(match.end, in: sentence) else { continue }
                        var end = itemsEnd
                        if let trail = pattern.trail {
                            guard
                                let tail = trail.prefix(
                                    in: sentence.shadow, NSRange(location: itemsEnd, length: sentence.length - itemsEnd))
                            else { continue }
                            end = tail.end
                        }
                        end = reachObject(pattern, sentence, end)
                        hits.append(
                            RoleHit(
                                role: pattern.role, mentions: mentions, span: sentence.span(from: match.range.location, to: end),
                                sentence: index))
                    }
                } else if let trail = pattern.trail {
                    for match in trail.all(in: sentence.shadow, whole) {
                        guard let (mentions, start) = items(before: match.range.location, in: sentence) else { continue }
                        let end = reachObject(pattern, sentence, match.end)
                        hits.append(
                            RoleHit(role: pattern.role, mentions: mentions, span: sentence.span(from: start, to: end), sentence: index))
                    }
                }
            }
        }
        return hits.sorted { ($0.sentence, $0.span.range.lowerBound) < ($1.sentence, $1.span.range.lowerBound) }
    }

    func reachObject(_ pattern: RolePattern, _ sentence: Sentence, _ end: Int) -> Int {
        guard pattern.reachesObject,
            let object = Grammar.object.prefix(in: sentence.shadow, NSRange(location: end, length: sentence.length - end))
        else { return end }
        return object.end
    }

    func fieldMentions(_ passage: Int) -> [Mention] {
        let text = passages[passage].text
        guard let colon = text.firstIndex(of: ":") else { return [] }
        let valueRange = Self.trim(text, text.index(after: colon)..<text.endIndex)
        let whole = Mention(
            span: TextSpan(passage: passage, range: valueRange), words: String(text[valueRange]),
            resolution: directory.phrase(String(text[valueRange])))
        if whole.resolution != .notFound { return [whole] }
        // "Ben Carter (ben.carter@contoso.com)" or "Ben Carter, Chloe Diaz": read the names inside.
        let inside = mentions(passage: passage, range: valueRange)
        var seen: [NameResolution] = []
        var distinct: [Mention] = []
        for mention in inside where !seen.contains(mention.resolution) || mention.resolution == .notFound {
            seen.append(mention.resolution)
            distinct.append(mention)
        }
        return distinct.isEmpty ? [whole] : distinct
    }

    func choice(_ field: TicketProblem.Field) -> String {
        switch field {
        case .leaver: "Choose the leaver."
        case .lastDay: "Enter the last day."
        case .delegate: "Choose who gets the mailbox and files."
        case .forwardingTo: "Choose who receives forwarded mail."
        case .manager: "Choose the manager."
        }
    }

    func problem(for mention: Mention, field: TicketProblem.Field, evidence: Evidence) -> TicketProblem? {
        switch mention.resolution {
        case .person: return nil
        case .ambiguous(let candidates):
            let names = candidates.map(\.displayName).joined(separator: ", ")
            return TicketProblem(
                field: field, kind: .ambiguous(candidates: candidates), evidence: evidence,
                message: "“\(mention.words)” matches \(candidates.count) people: \(names). \(choice(field))")
        case .notFound:
            return TicketProblem(
                field: field, kind: .notFound(name: mention.words), evidence: evidence,
                message: "“\(mention.words)” is not in the directory. \(choice(field))")
        }
    }

    /// One role's names in reading order, reduced to distinct names. A lone "Amy" in the same
    /// role as "Amy Ross" is Amy Ross written short; across roles nothing is inferred, so "his
    /// manager is Ben Ortiz … Ben is leaving" leaves the leaver ambiguous rather than guessed.
    func distinctNames(
        _ candidates: [(mention: Mention, evidence: Evidence)]
    )
        -> (people: [(person: PersonRef, evidence: Evidence)], unsettled: [(mention: Mention, evidence: Evidence)])
    {
        var people: [(person: PersonRef, evidence: Evidence)] = []
        var unsettled: [(mention: Mention, evidence: Evidence)] = []
        for candidate in candidates {
            if case .person(let person) = candidate.mention.resolution {
                if !people.contains(where: { $0.person == person }) { people.append((person, candidate.evidence)) }
            } else if !unsettled.contains(where: { $0.mention.words.lowercased() == candidate.mention.words.lowercased() }) {
                unsettled.append(candidate)
            }
        }
        unsettled.removeAll { candidate in
            guard case .ambiguous(let options) = candidate.mention.resolution else { return false }
            return options.contains { option in people.contains { $0.person == option } }
        }
        return (people, unsettled)
    }

    mutating func readLeaver(hits: [RoleHit], problems: inout [TicketProblem]) -> Extracted<PersonRef>? {
        var candidates: [(mention: Mention, evidence: Evidence)] = []
        var listEvidence: Evidence?
        if let field = personFields.first(where: { $0.role == .leaver }) {
            let found = fieldMentions(field.passage)
            candidates = found.map { ($0, wholeEvidence(field.passage)) }
            if found.count > 1 { listEvidence = wholeEvidence(field.passage) }
        } else {
            let leaverHits = hits.filter { $0.role == .leaver }
            for hit in leaverHits {
                candidates += hit.mentions.map { ($0, evidence(hit.span)) }
                if hit.mentions.count > 1, listEvidence == nil { listEvidence = evidence(hit.span) }
            }
            if leaverHits.isEmpty {
                candidates = fallbackLeaver(hits: hits).map { ($0, Evidence(words: $0.words)) }
            }
        }
        guard let first = candidates.first else {
            problems.append(
                TicketProblem(
                    field: .leaver, kind: .missing, evidence: nil, message: "The ticket does not say who is leaving. Choose the leaver."))
            return nil
        }
        let (people, unsettled) = distinctNames(candidates)
        let names = people.map(\.person.displayName) + unsettled.map(\.mention.words)
        if names.count > 1 {
            problems.append(
                TicketProblem(
                    field: .leaver, kind: .twoLeavers(people.map(\.person)), evidence: listEvidence ?? first.evidence,
                    message: "The ticket names \(names.count) leavers: \(names.joined(separator: ", ")). One ticket, one leaver: split it.")
            )
            return nil
        }
        if let only = people.first { return Extracted(value: only.person, evidence: only.evidence) }
        if let only = unsettled.first, let problem = problem(for: only.mention, field: .leaver, evidence: only.evidence) {
            problems.append(problem)
        }
        return nil
    }

    /// No sentence said who leaves in so many words ("Offboarding – Ben Carter" as a bare subject,
    /// "Ben Carter, last day Friday"): one name, and only one, in the subject or in a sentence
    /// with an offboarding cue, that no other role took.
    func fallbackLeaver(hits: [RoleHit]) -> [Mention] {
        let taken = hits.flatMap(\.mentions).map(\.span)
        var found: [Mention] = []
        for sentence in sentences {
            let isSubject = passages[sentence.passage].origin == .subject
            guard isSubject || !cueMatches(Grammar.offboarding, in: sentence).isEmpty else { continue }
            for mention in sentence.mentions where !taken.contains(mention.span) {
                if !found.contains(where: { $0.resolution == mention.resolution && $0.words.lowercased() == mention.words.lowercased() }) {
                    found.append(mention)
                }
            }
        }
        return found.count == 1 ? found : []
    }

    /// The delegate, forwarding target or manager: a PSA field if there is one, else the first
    /// person the body gives the role to.
    func readRole(_ role: PersonRole, hits: [RoleHit], problems: inout [TicketProblem]) -> Extracted<PersonRef>? {
        let fieldRole: FieldRole =
            switch role {
            case .leaver: .leaver
            case .delegate: .delegate
            case .forwardingTo: .forwardingTo
            case .manager: .manager
            }
        var candidates: [(mention: Mention, evidence: Evidence)] = []
        if let field = personFields.first(where: { $0.role == fieldRole }) {
            candidates = fieldMentions(field.passage).map { ($0, wholeEvidence(field.passage)) }
        } else {
            for hit in hits where hit.role == role { candidates += hit.mentions.prefix(1).map { ($0, evidence(hit.span)) } }
        }
        let (people, unsettled) = distinctNames(candidates)
        if let first = people.first { return Extracted(value: first.person, evidence: first.evidence) }
        if let first = unsettled.first, let problem = problem(for: first.mention, field: role.field, evidence: first.evidence) {
            problems.append(problem)
        }
        return nil
    }

    // MARK: Dates

    func dates(in sentence: Sentence, index: Int) -> [DateMention] {
        let text = sentence.shadow
        let whole = NSRange(location: 0, length: sentence.length)
        var found: [DateCandidate] = []
        func add(_ match: NSTextCheckingResult, _ day: LocalDay?, note: String? = nil, weekday: Int? = nil) {
            let words = (text as NSString).substring(with: match.range)
            let failure = day == nil ? "“\(words)” is not a date." : nil
            found.append(
                DateCandidate(start: match.range.location, end: match.end, day: day, note: note, failure: failure, weekday: weekday))
        }
        for match in Grammar.isoDate.all(in: text, whole) {
            let parts = (1...3).map { Int(match.group($0, in: text) ?? "") ?? 0 }
            add(match, valid(parts[0], parts[1], parts[2]))
        }
        for match in Grammar.numericDate.all(in: text, whole) {
            let first = Int(match.group(1, in: text) ?? "") ?? 0
            let second = Int(match.group(3, in: text) ?? "") ?? 0
            let year = match.group(4, in: text).flatMap { Int($0) }.map { $0 < 100 ? 2000 + $0 : $0 }
            // "1.5" and "3-4" are not dates; with a year they are.
            if match.group(2, in: text) != "/", year == nil { continue }
            var dayFirst = rules.dateOrder == .dayMonth
            var note: String?
            if first > 12 {
                dayFirst = true
            } else if second > 12 {
                dayFirst = false
            } else if first != second {
                let words = (text as NSString).substring(with: match.range)
                note = "“\(words)” read as \(dayFirst ? "day/month" : "month/day"), the tenant's date order."
            }
            let (day, month) = dayFirst ? (first, second) : (second, first)
            add(match, year.map { valid($0, month, day) } ?? upcoming(month: month, day: day), note: note)
        }
        for match in Grammar.dayMonth.all(in: text, whole) {
            let day = Int(match.group(1, in: text) ?? "") ?? 0
            let month = Self.month(match.group(2, in: text) ?? "")
            let year = match.group(3, in: text).flatMap { Int($0) }
            add(match, year.map { valid($0, month, day) } ?? upcoming(month: month, day: day))
        }
        for match in Grammar.monthDay.all(in: text, whole) {
            let month = Self.month(match.group(1, in: text) ?? "")
            let day = Int(match.group(2, in: text) ?? "") ?? 0
            let year = match.group(3, in: text).flatMap { Int($0) }
            add(match, year.map { valid($0, month, day) } ?? upcoming(month: month, day: day))
        }
        for match in Grammar.weekday.all(in: text, whole) {
            let target = Self.weekdayNumber(match.group(2, in: text) ?? "")
            let qualifier = (match.group(1, in: text) ?? "").lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
            add(match, weekday(target, qualifier: qualifier), weekday: target)
        }
        for match in Grammar.relativeDay.all(in: text, whole) {
            let word = (match.group(1, in: text) ?? "").lowercased()
            add(match, offset(today, by: word == "tomorrow" || word == "tmrw" ? 1 : 0))
        }
        for match in Grammar.endOf.all(in: text, whole) {
            let next = match.group(1, in: text) != nil
            if (match.group(2, in: text) ?? "").lowercased() == "week" {
                // The end of the working week: Friday (this coming one, today if today is Friday).
                add(match, offset(weekday(5, qualifier: ""), by: next ? 7 : 0))
            } else {
                var year = today.year
                var month = today.month + (next ? 1 : 0)
                if month > 12 {
                    month = 1
                    year += 1
                }
                add(match, LocalDay(year: year, month: month, day: Self.daysIn(year, month)))
            }
        }
        // Longer expressions win over the pieces inside them ("4 December 2026" over "December 2026").
        found.sort { ($0.start, -$0.end) < ($1.start, -$1.end) }
        var kept: [DateCandidate] = []
        for candidate in found {
            if let last = kept.last, candidate.start < last.end {
                if candidate.end - candidate.start > last.end - last.start { kept[kept.count - 1] = candidate }
                continue
            }
            kept.append(candidate)
        }
        // "Friday 4 December" is one date; if the weekday is wrong the ticket contradicts itself.
        var merged: [DateCandidate] = []
        for candidate in kept {
            if let last = merged.last, let named = last.weekday, candidate.weekday == nil,
                Grammar.weekdayJoin.first(in: text, NSRange(location: last.end, length: candidate.start - last.end)) != nil
            {
                var joined = candidate
                joined.start = last.start
                if let day = candidate.day, Self.weekday(of: day) != named {
                    let words = (text as NSString).substring(with: NSRange(location: last.start, length: candidate.end - last.start))
                    joined.day = nil
                    joined.failure = "“\(words)”: \(day) is a \(Self.weekdayName(Self.weekday(of: day))), not a \(Self.weekdayName(named))."
                }
                merged[merged.count - 1] = joined
                continue
            }
            merged.append(candidate)
        }
        return merged.map {
            DateMention(
                sentence: index, start: $0.start, end: $0.end, span: sentence.span(from: $0.start, to: $0.end), day: $0.day, note: $0.note,
                failure: $0.failure)
        }
    }

    func times(in sentence: Sentence, index: Int) -> [TimeMention] {
        let text = sentence.shadow
        let whole = NSRange(location: 0, length: sentence.length)
        var found: [TimeMention] = []
        func add(_ match: NSTextCheckingResult, _ hour: Int, _ minute: Int) {
            guard !found.contains(where: { match.range.location < $0.end && $0.start < match.end }) else { return }
            found.append(
                TimeMention(
                    sentence: index, start: match.range.location, end: match.end,
                    span: sentence.span(from: match.range.location, to: match.end),
                    time: LocalTime(hour: hour, minute: minute)))
        }
        for match in Grammar.twelveHour.all(in: text, whole) {
            let hour = Int(match.group(1, in: text) ?? "") ?? 0
            let minute = match.group(2, in: text).flatMap { Int($0) } ?? 0
            guard (1...12).contains(hour), (0...59).contains(minute) else { continue }
            let afternoon = (match.group(3, in: text) ?? "").lowercased().hasPrefix("p")
            add(match, hour % 12 + (afternoon ? 12 : 0), minute)
        }
        for match in Grammar.twentyFourHour.all(in: text, whole) {
            add(match, Int(match.group(1, in: text) ?? "") ?? 0, Int(match.group(2, in: text) ?? "") ?? 0)
        }
        for match in Grammar.noon.all(in: text, whole) { add(match, 12, 0) }
        return found.sorted { $0.start < $1.start }
    }

    mutating func readLastDay(problems: inout [TicketProblem]) -> (Extracted<LocalDay>?, Extracted<LocalTime>?) {
        if let field = dayField {
            let text = passages[field].text
            let line = sentence(passage: field, range: text.startIndex..<text.endIndex)
            guard let date = dates(in: line, index: -1).first, let day = date.day else {
                let message = "“\(text)” is not a date the rules can read. Enter the last day."
                problems.append(TicketProblem(field: .lastDay, kind: .unreadableDate, evidence: wholeEvidence(field), message: message))
                return (nil, nil)
            }
            var time = times(in: line, index: -1).first.map { Extracted(value: $0.time, evidence: wholeEvidence(field)) }
            if let timeField {
                let timeText = passages[timeField].text
                let timeLine = sentence(passage: timeField, range: timeText.startIndex..<timeText.endIndex)
                if let found = times(in: timeLine, index: -1).first {
                    time = Extracted(value: found.time, evidence: wholeEvidence(timeField))
                }
            }
            return (Extracted(value: day, evidence: Evidence(words: text, note: date.note)), time)
        }

        var best: (date: DateMention, cue: CueMatch?)?
        for (index, sentence) in sentences.enumerated() {
            let found = dates(in: sentence, index: index)
            guard !found.isEmpty else { continue }
            let cues = cueMatches([Grammar.when], in: sentence)
            if !cues.isEmpty {
                // The date nearest a "last day" cue in the first sentence that has both.
                var pick: (date: DateMention, cue: CueMatch, distance: Int)?
                for date in found {
                    for cue in cues {
                        let distance = date.start >= cue.end ? date.start - cue.end : cue.start - date.end + 1
                        if pick == nil || distance < (pick?.distance ?? .max) { pick = (date, cue, distance) }
                    }
                }
                if let pick {
                    best = (pick.date, pick.cue)
                    break
                }
            }
            if best == nil {
                if let date = found.first(where: {
                    Grammar.otherPeriod.first(in: sentence.shadow, NSRange(location: 0, length: $0.start)) == nil
                }),
                    !sentenceHasNonLeaverRole(index)
                {
                    best = (date, nil)
                }
            }
        }
        guard let best else { return (nil, nil) }
        let date = best.date
        guard let day = date.day else {
            problems.append(
                TicketProblem(
                    field: .lastDay, kind: .unreadableDate, evidence: evidence(date.span),
                    message: "\(date.failure ?? "The last day is not a date.") Enter the last day."))
            return (nil, nil)
        }
        let sentence = sentences[date.sentence]
        var span = date.span
        // "last day is Friday" reads better than "Friday" when the cue leads straight into the date.
        if let cue = best.cue, cue.start < date.start, date.start - cue.end <= 40,
            !sentence.shadow.utf16.dropFirst(cue.end).prefix(date.start - cue.end).contains(where: { $0 == 0x3B || $0 == 0x27E8 })
        {
            span = sentence.span(from: cue.start, to: date.end)
        }
        consumed.append(span)
        var time: Extracted<LocalTime>?
        let found = times(in: sentence, index: date.sentence)
        if let nearest = found.min(by: { abs($0.start - date.start) < abs($1.start - date.start) }) {
            time = Extracted(value: nearest.time, evidence: evidence(nearest.span))
            consumed.append(nearest.span)
        }
        return (Extracted(value: day, evidence: evidence(span, note: date.note)), time)
    }

    /// A date beside "forward his mail to Kate" is about the forwarding, not the last day.
    func sentenceHasNonLeaverRole(_ index: Int) -> Bool {
        hits.contains { $0.sentence == index && $0.role != .leaver }
    }

    // MARK: Instructions

    func readInstructions() -> [Extracted<String>] {
        var result: [Extracted<String>] = []
        for sentence in sentences where passages[sentence.passage].origin == .body {
            let text = passages[sentence.passage].text
            var clauses: [Range<String.Index>] = []
            var start = sentence.range.lowerBound
            for match in Grammar.clauseBreak.all(in: text, Self.nsRange(text, sentence.range)) {
                guard let bounds = Range(match.range, in: text) else { continue }
                clauses.append(start..<bounds.lowerBound)
                start = bounds.upperBound
            }
            clauses.append(start..<sentence.range.upperBound)
            for clause in clauses {
                var range = Self.trim(text, clause)
                while let last = range.isEmpty ? nil : text[text.index(before: range.upperBound)], ",:;".contains(last) {
                    range = Self.trim(text, range.lowerBound..<text.index(before: range.upperBound))
                }
                guard !range.isEmpty else { continue }
                let span = TextSpan(passage: sentence.passage, range: range)
                if consumed.contains(where: { $0.overlaps(span) }) { continue }
                let ns = Self.nsRange(text, range)
                guard Grammar.pleasantry.prefix(in: text, ns) == nil, Grammar.request.first(in: text, ns) != nil else { continue }
                let words = String(text[range])
                result.append(Extracted(value: words, evidence: Evidence(words: words)))
            }
        }
        return result
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, by day number, so no time zone can shift it)

    static func nsRange(_ text: String, _ range: Range<String.Index>) -> NSRange { NSRange(range, in: text) }

    static func month(_ name: String) -> Int {
        let prefix = name.lowercased().prefix(3)
        return ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].firstIndex(of: String(prefix)).map {
            $0 + 1
        } ?? 0
    }

    static func weekdayNumber(_ name: String) -> Int {
        let names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        return (names.firstIndex(of: name.lowercased()) ?? 0) + 1
    }

    static func weekdayName(_ number: Int) -> String {
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][max(0, min(6, number - 1))]
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysIn(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    func valid(_ year: Int, _ month: Int, _ day: Int) -> LocalDay? {
        guard (1...12).contains(month), (1...Self.daysIn(year, month)).contains(day) else { return nil }
        return LocalDay(year: year, month: month, day: day)
    }

    /// A date written without a year is its next occurrence on or after the day the ticket came
    /// in: "4 December" on 2 December is this year's; "1 December" is next year's.
    func upcoming(month: Int, day: Int) -> LocalDay? {
        if let thisYear = valid(today.year, month, day), thisYear >= today { return thisYear }
        return valid(today.year + 1, month, day) ?? valid(today.year + 4 - today.year % 4, month, day)
    }

    static func dayNumber(_ day: LocalDay) -> Int {
        let year = day.month <= 2 ? day.year - 1 : day.year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let shiftedMonth = (day.month + 9) % 12
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day.day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func day(number: Int) -> LocalDay {
        let shifted = number + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return LocalDay(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// ISO weekday: 1 is Monday, 7 is Sunday. Day 0 (1970-01-01) was a Thursday.
    static func weekday(of day: LocalDay) -> Int { ((dayNumber(day) % 7 + 7) % 7 + 3) % 7 + 1 }

    func offset(_ day: LocalDay?, by days: Int) -> LocalDay? {
        day.map { Self.day(number: Self.dayNumber($0) + days) }
    }

    /// "Friday" and "this Friday" are the coming Friday, today if today is Friday. "Next Friday"
    /// is the one after that — a week later than "this Friday" even on a Monday — because that is
    /// how UK tickets use it and the more cautious reading: offboarding a week late is fixable,
    /// a week early is not. "Last Friday" is the most recent one before today.
    func weekday(_ target: Int, qualifier: String) -> LocalDay? {
        let current = Self.weekday(of: today)
        let ahead = (target - current + 7) % 7
        switch qualifier {
        case "next": return offset(today, by: ahead + 7)
        case "last": return offset(today, by: ahead == 0 ? -7 : ahead - 7)
        default: return offset(today, by: ahead)
        }
    }
}
