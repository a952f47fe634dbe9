public import Foundation

/// Which Microsoft cloud a tenant lives in; decides every host Turnover talks to.
///
/// `simulator(URL)` points every host at one `turnover sim`, for tests and sandbox mode. Token
/// audiences stay those of the global cloud there, because that is what the simulator issues.
public enum Cloud: Sendable, Hashable, Codable {
    case global
    case usGovernment
    case usGovernmentDoD
    case china
    case simulator(URL)

    public init?(name: String) {
        switch name.lowercased() {
        case "global", "public", "commercial": self = .global
        case "usgov", "us-gov", "gcchigh", "gcc-high", "usgovernment": self = .usGovernment
        case "dod", "usgovdod", "us-gov-dod", "usgovernmentdod": self = .usGovernmentDoD
        case "china", "21vianet": self = .china
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .global: "global"
        case .usGovernment: "usgov"
        case .usGovernmentDoD: "dod"
        case .china: "china"
        case .simulator(let url): "simulator(\(url.absoluteString))"
        }
    }

    /// Where tokens come from: `{authority}/{tenant}/oauth2/v2.0/token`.
    public var authority: String {
        switch self {
        case .global: "https://login.microsoftonline.com"
        case .usGovernment, .usGovernmentDoD: "https://login.microsoftonline.us"
        case .china: "https://login.chinacloudapi.cn"
        case .simulator(let url): Self.trimmed(url)
        }
    }

    /// Graph's service root, without the version.
    public var graphHost: String {
        switch self {
        case .global: "https://graph.microsoft.com"
        case .usGovernment: "https://graph.microsoft.us"
        case .usGovernmentDoD: "https://dod-graph.microsoft.us"
        case .china: "https://microsoftgraph.chinacloudapi.cn"
        case .simulator(let url): Self.trimmed(url)
        }
    }

    /// Exchange Online's host (the admin API lives under `/adminapi/beta/{tenantId}`).
    public var exchangeHost: String {
        switch self {
        case .global: "https://outlook.office365.com"
        case .usGovernment: "https://outlook.office365.us"
        case .usGovernmentDoD: "https://webmail.apps.mil"
        case .china: "https://partner.outlook.cn"
        case .simulator(let url): Self.trimmed(url)
        }
    }

    /// The scope for a client-credentials token for Graph.
    public var graphScope: String {
        switch self {
        case .simulator: "https://graph.microsoft.com/.default"
        default: "\(graphHost)/.default"
        }
    }

    public var exchangeScope: String {
        switch self {
        case .simulator: "https://outlook.office365.com/.default"
        default: "\(exchangeHost)/.default"
        }
    }

    /// The scope for a SharePoint site, from its real URL (`https://contoso-my.sharepoint.com/...`).
    public func sharePointScope(siteURL: String) -> String {
        guard let url = URL(string: siteURL), let host = url.host else { return siteURL }
        return "https://\(host)/.default"
    }

    /// Where requests for a SharePoint site URL go: the site itself, or the simulator.
    public func sharePointRequestBase(siteURL: String) -> String {
        switch self {
        case .simulator(let url):
            guard let site = URL(string: siteURL) else { return Self.trimmed(url) }
            return Self.trimmed(url) + site.path
        default:
            return siteURL.hasSuffix("/") ? String(siteURL.dropLast()) : siteURL
        }
    }

    private static func trimmed(_ url: URL) -> String {
        let text = url.absoluteString
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
}
