import Foundation

/// The control API under `/_sim/`, the same for every PSA: open a ticket as a client would, and read
/// what is on a ticket or a contact, for the sandbox's users and the Python suites. Unauthenticated,
/// like the M365 simulator's: bind to loopback.
///
/// - `POST /_sim/tickets` `{"summary", "details", "contactEmail"}` → 201 `{"id"}`
/// - `GET /_sim/tickets/{id}` → `{"status", "notes", "timeEntries", "attachments": [{"fileName", "size"}]}`
/// - `GET /_sim/contacts/{email}` → `{"active": true|false|null}`
/// - `GET /_sim/directory` → the seed's ids
enum PSASimulatorControl {
    static func handle(_ simulation: any PSASimulation, method: String, path: String, body: Data) -> PSAResponse {
        let parts = path.split(separator: "/").map(String.init).dropFirst()
        switch (method, Array(parts)) {
        case ("GET", ["directory"]):
            return encoded(200, simulation.directory)
        case ("POST", ["tickets"]):
            guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
                let summary = object["summary"] as? String, let details = object["details"] as? String
            else { return .json(400, ["error": "send {\"summary\", \"details\", \"contactEmail\"}"]) }
            let id = simulation.openTicket(
                summary: summary, details: details, contactEmail: object["contactEmail"] as? String ?? "dan.morgan@contoso.com")
            return .json(201, ["id": id])
        case ("GET", let route) where route.count == 2 && route[0] == "tickets":
            let id = route[1]
            guard let status = simulation.status(ofTicket: id) else { return .json(404, ["error": "no ticket \(id)"]) }
            let notes = simulation.notes(onTicket: id).map { ["text": $0.text, "isInternal": $0.isInternal, "title": $0.title ?? ""] }
            let time = simulation.timeEntries(onTicket: id).map { ["minutes": $0.minutes, "member": $0.member ?? "", "notes": $0.notes] }
            let attachments = simulation.attachments(onTicket: id).map { ["fileName": $0.fileName, "size": $0.data.count] }
            return .json(200, ["status": status, "notes": notes, "timeEntries": time, "attachments": attachments])
        case ("GET", let route) where route.count == 2 && route[0] == "contacts":
            return .json(200, ["active": simulation.contactIsActive(email: route[1]).map { $0 as Any } ?? NSNull()])
        default:
            return .json(404, ["error": "unknown control route \(path)"])
        }
    }

    static func encoded(_ status: Int, _ value: some Encodable) -> PSAResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return PSAResponse(
            status: status, headers: [("Content-Type", "application/json")], body: (try? encoder.encode(value)) ?? Data())
    }
}
