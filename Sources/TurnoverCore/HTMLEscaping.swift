import Foundation

/// Text made safe inside HTML elements and double-quoted attributes: e-mail bodies, PSA notes.
public enum HTMLEscaping {
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
