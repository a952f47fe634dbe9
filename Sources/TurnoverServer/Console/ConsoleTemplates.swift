import Crypto
import Foundation
import Mustache

/// The console's Mustache templates and static assets, read once from the build's resources.
/// Every asset is Turnover's own (no CDN), so the console works air-gapped.
struct ConsoleTemplates: Sendable {
    struct Asset: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    let library: MustacheLibrary
    let assets: [String: Asset]
    /// A digest of the assets, put in their links so a browser never keeps an old copy.
    let assetVersion: String
    /// The names of every page template (all but the layout), for the test that renders each one.
    let pageNames: [String]

    struct Missing: Error, CustomStringConvertible {
        var what: String
        var description: String { "The console's \(what) are missing from the build (Sources/TurnoverServer/Console)." }
    }

    static func load() throws -> ConsoleTemplates {
        guard let templates = Bundle.module.url(forResource: "Templates", withExtension: nil) else { throw Missing(what: "templates") }
        guard let assetsFolder = Bundle.module.url(forResource: "Assets", withExtension: nil) else { throw Missing(what: "assets") }
        var library = MustacheLibrary()
        var names: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path).sorted() where file.hasSuffix(".mustache") {
            let name = String(file.dropLast(".mustache".count))
            try library.register(String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8), named: name)
            if name != "layout" && !name.hasPrefix("_") { names.append(name) }
        }
        var assets: [String: Asset] = [:]
        var digest = SHA256()
        for file in try FileManager.default.contentsOfDirectory(atPath: assetsFolder.path).sorted() {
            let bytes = Array(try Data(contentsOf: assetsFolder.appendingPathComponent(file)))
            digest.update(data: bytes)
            let type: String
            switch (file as NSString).pathExtension {
            case "css": type = "text/css; charset=utf-8"
            case "js": type = "text/javascript; charset=utf-8"
            case "svg": type = "image/svg+xml"
            default: type = "application/octet-stream"
            }
            assets[file] = Asset(bytes: bytes, contentType: type)
        }
        let version = digest.finalize().prefix(6).map { String(format: "%02x", $0) }.joined()
        return ConsoleTemplates(library: library, assets: assets, assetVersion: version, pageNames: names)
    }

    func render(_ template: String, title: String, page: Any, shell: Shell) -> String {
        library.render(["title": title, "shell": shell, "page": page], withTemplate: template)
            ?? "<!doctype html><title>Missing page</title><p>The console has no template \(template).</p>"
    }
}
