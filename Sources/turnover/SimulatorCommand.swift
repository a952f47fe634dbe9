import ArgumentParser
import Foundation
import Logging
import M365Simulator
import ServiceLifecycle
import UnixSignals

struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the M365 simulator: Graph, Exchange admin API, SharePoint and the token endpoint on one port.",
        discussion: """
            Tenants come from --demo (Contoso and Fabrikam), YAML fixtures (--fixture) and/or generated tenants \
            (--generate-tenants / --generate-users). Credentials for each tenant's app registrations are listed at \
            GET /_sim/tenants. The control API under /_sim/ is unauthenticated: bind to loopback.
            """
    )

    @Flag(help: "Load the built-in demo tenants (Contoso, 48 users covering every edge case; Fabrikam).")
    var demo = false

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free port).")
    var port = 8_765

    @Option(name: .customLong("tls-cert"), help: "PEM certificate file; serve HTTPS (SDKs such as msal refuse http authorities).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Flag(
        name: .customLong("self-signed-tls"),
        help: "Serve HTTPS with a freshly generated self-signed certificate for 127.0.0.1; its PEM is written to --write-cert.")
    var selfSignedTLS = false

    @Option(name: .customLong("write-cert"), help: "Where --self-signed-tls writes the certificate PEM (for clients to trust).")
    var writeCertificate: String?

    @Option(name: .customLong("latency-ms"), help: "Latency added to every request, in milliseconds.")
    var latencyMilliseconds = 0

    @Option(name: .customLong("fault-rate"), help: "Fraction (0–1) of requests answered with a transient 503/504 or a dropped connection.")
    var faultRate = 0.0

    @Option(name: .customLong("fixture"), help: "A tenant fixture YAML file (repeatable).")
    var fixtures: [String] = []

    @Option(name: .customLong("generate-tenants"), help: "Generate this many synthetic tenants for scale work.")
    var generatedTenants = 0

    @Option(name: .customLong("generate-users"), help: "Users per generated tenant.")
    var generatedUsers = 100

    @Flag(name: .customLong("lax"), help: "Accept paths, parameters and properties outside the documented subset (strict by default).")
    var lax = false

    @Flag(
        name: .customLong("self-check"),
        help: "Validate every Graph response against the schema subset; violations are listed at GET /_sim/selfcheck.")
    var selfCheck = false

    @Flag(help: "Log every request to standard error.")
    var verbose = false

    func validate() throws {
        if (tlsCertificate == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together.") }
        if selfSignedTLS && tlsCertificate != nil { throw ValidationError("Use either --self-signed-tls or --tls-cert/--tls-key.") }
        if !(0...1).contains(faultRate) { throw ValidationError("--fault-rate must be between 0 and 1.") }
        if !demo && fixtures.isEmpty && generatedTenants == 0 {
            throw ValidationError("Nothing to serve: give --demo, --fixture FILE or --generate-tenants N.")
        }
    }

    func run() async throws {
        var settings = SimulatorSettings()
        settings.latencyMilliseconds = latencyMilliseconds
        settings.transientFaultRate = faultRate * 0.8
        settings.dropRate = faultRate * 0.2
        settings.strict = !lax
        settings.selfCheck = selfCheck
        var logger = Logger(label: "turnover.sim")
        logger.logLevel = verbose ? .info : .notice
        let simulator = try Simulator(settings: settings, logger: verbose ? logger : nil)
        if demo { try simulator.loadDemoTenants() }
        for file in fixtures {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            do {
                _ = try simulator.load(TenantFixture.decode(yaml: text))
            } catch {
                throw ValidationError("\(file): \(error)")
            }
        }
        if generatedTenants > 0 { _ = try simulator.generateTenants(count: generatedTenants, usersPerTenant: generatedUsers) }

        var tls = try tlsCertificate.map { try Simulator.tlsConfiguration(certificateFile: $0, keyFile: tlsKey!) }
        if selfSignedTLS {
            let generated = try Simulator.selfSignedTLS()
            tls = generated.configuration
            if let writeCertificate { try generated.certificatePEM.write(toFile: writeCertificate, atomically: true, encoding: .utf8) }
        }
        let scheme = tls == nil ? "http" : "https"
        let summaries = simulator.tenantSummaries()
        let application = try simulator.makeApplication(host: host, port: port, tls: tls) { boundPort in
            var lines = ["M365 simulator listening on \(scheme)://\(host):\(boundPort)"]
            for tenant in summaries.prefix(5) {
                lines.append("  tenant \(tenant.name): \(tenant.tenantId) (\(tenant.initialDomain), \(tenant.users) users)")
                for app in tenant.apps { lines.append("    app \"\(app.displayName)\": client id \(app.clientId)") }
            }
            if summaries.count > 5 { lines.append("  … and \(summaries.count - 5) more tenants") }
            lines.append("Credentials and control API: \(scheme)://\(host):\(boundPort)/_sim/tenants")
            // Written unbuffered: scripts wait for the "listening on" line on a pipe.
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        let group = ServiceGroup(
            configuration: .init(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
