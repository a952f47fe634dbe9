public import Foundation

/// The identity a process holds leases under: `host:pid:tag`. A lease of a process on this host that
/// no longer exists (killed, crashed) can be taken over at once instead of after its expiry; a
/// lease of another host is only ever taken over once it expires.
public enum LeaseOwner {
    public static func make(_ tag: String) -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(tag)"
    }

    /// Whether `owner` names a process of this host that has ended.
    public static func isDeadLocalProcess(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]),
            pid != ProcessInfo.processInfo.processIdentifier
        else { return false }
        // Signal 0 checks for existence; ESRCH means no such process.
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
