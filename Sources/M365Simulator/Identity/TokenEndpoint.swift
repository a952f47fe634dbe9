import Foundation

extension Simulator {
    /// `POST /{tenant}/oauth2/v2.0/token` with the client credentials grant.
    func handleToken(_ request: SimRequest, tenantKey: String, settings: SimulatorSettings) -> (SimResponse, RequestAttribution) {
        var attribution = RequestAttribution(service: "token", operation: "POST /{tenant}/oauth2/v2.0/token")
        guard request.method == "POST" else {
            return (tokenError(405, "invalid_request", 900_561, "AADSTS900561: The endpoint only accepts POST requests."), attribution)
        }
        guard let tenant = tenant(forKey: tenantKey) else {
            return (
                tokenError(
                    400, "invalid_tenant", 90_002,
                    "AADSTS90002: Tenant '\(tenantKey)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
                ),
                attribution
            )
        }
        attribution.tenantId = tenant.id
        let form = Self.parseForm(request.body)
        var clientId = form["client_id"]
        var clientSecret = form["client_secret"]
        if let authorization = request.header("authorization"), authorization.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6))).flatMap({ String(data: $0, encoding: .utf8) })
        {
            let parts = decoded.split(separator: ":", maxSplits: 1).map { PercentCoding.decodeQuery($0) }
            if parts.count == 2 {
                clientId = clientId ?? parts[0]
                clientSecret = clientSecret ?? parts[1]
            }
        }
        guard form["grant_type"] == "client_credentials" else {
            return (
                tokenError(
                    400, "unsupported_grant_type", 70_003,
                    "AADSTS70003: The app requested an unsupported grant type '\(form["grant_type"] ?? "")'."),
                attribution
            )
        }
        guard let scope = form["scope"], !scope.isEmpty else {
            return (
                tokenError(
                    400, "invalid_request", 90_014,
                    "AADSTS90014: The required field 'scope' is missing from the credential. Ensure that you have all the necessary parameters for the login request."
                ),
                attribution
            )
        }
        let scopes = scope.split(separator: " ").map(String.init)
        let slug = tenant.initialDomain.split(separator: ".").first.map(String.init) ?? ""
        guard scopes.count == 1, let (resource, audience) = TokenResource.from(scope: scopes[0], tenantSlug: slug) else {
            return (
                tokenError(
                    400, "invalid_scope", 1_002_012,
                    "AADSTS1002012: The provided value for scope \(scope) is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
                attribution
            )
        }

        let app: AppRegistration
        let credential: ClientCredentialKind
        let apps = tenant.readPrimary { $0.apps }
        if let assertion = form["client_assertion"] {
            guard form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
                return (
                    tokenError(
                        400, "invalid_request", 50_027,
                        "AADSTS50027: client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer."),
                    attribution
                )
            }
            do {
                let (verified, _) = try ClientAssertion.verify(
                    assertion, apps: apps, tenantKeys: [tenant.id] + tenant.domains, expectedClientId: clientId, now: clock())
                app = verified
                credential = .certificate
            } catch {
                let message: String
                switch error {
                case .malformed(let detail): message = "AADSTS50027: JWT token is invalid or malformed. \(detail)"
                case .unknownCertificate:
                    message =
                        "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application."
                case .badSignature: message = "AADSTS7000274: Client assertion contains an invalid signature."
                case .claims(let detail): message = "AADSTS700023: Client assertion audience claim does not match Realm issuer. \(detail)"
                case .lifetime: message = "AADSTS700024: Client assertion is not within its valid time range."
                }
                return (tokenError(401, "invalid_client", 700_027, message), attribution)
            }
        } else {
            guard let clientId, let registered = apps.first(where: { $0.clientId.lowercased() == clientId.lowercased() }) else {
                return (
                    tokenError(
                        400, "unauthorized_client", 700_016,
                        "AADSTS700016: Application with identifier '\(clientId ?? "")' was not found in the directory '\(tenant.name)'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
                    ),
                    attribution
                )
            }
            guard let clientSecret, registered.clientSecrets.contains(clientSecret) else {
                attribution.clientId = registered.clientId
                return (
                    tokenError(
                        401, "invalid_client", 7_000_215,
                        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(registered.clientId)'."
                    ),
                    attribution
                )
            }
            app = registered
            credential = .secret
        }
        attribution.clientId = app.clientId
        do {
            let token = try tokens.issue(
                tenantId: tenant.id, app: app, resource: resource, audience: audience, credential: credential, now: clock(),
                lifetime: .seconds(settings.tokenLifetimeSeconds))
            let body: JSONValue = [
                "token_type": "Bearer", "expires_in": .int(Int64(settings.tokenLifetimeSeconds)),
                "ext_expires_in": .int(Int64(settings.tokenLifetimeSeconds)), "access_token": .string(token),
            ]
            return (.json(200, body, headers: [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache")]), attribution)
        } catch {
            return (tokenError(500, "server_error", 90_033, "AADSTS90033: A transient error has occurred. Please try again."), attribution)
        }
    }

    private func tokenError(_ status: Int, _ error: String, _ code: Int, _ description: String) -> SimResponse {
        let traceId = UUID().uuidString.lowercased()
        let correlationId = UUID().uuidString.lowercased()
        let timestamp = GraphDate.directory(clock())
        let body: JSONValue = [
            "error": .string(error),
            "error_description": .string("\(description) Trace ID: \(traceId) Correlation ID: \(correlationId) Timestamp: \(timestamp)"),
            "error_codes": [.int(Int64(code))],
            "timestamp": .string(timestamp),
            "trace_id": .string(traceId),
            "correlation_id": .string(correlationId),
        ]
        return .json(status, body)
    }

    func discoveryDocument(tenantKey: String, origin: String) -> SimResponse {
        guard let tenant = tenant(forKey: tenantKey) else {
            return .json(400, ["error": "invalid_tenant", "error_description": .string("AADSTS90002: Tenant '\(tenantKey)' not found.")])
        }
        let base = "\(origin)/\(tenant.id)"
        let body: JSONValue = [
            "token_endpoint": .string("\(base)/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": .string("\(origin)/\(tenant.id)/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": .string("\(base)/v2.0"),
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": .string("\(origin)/oidc/userinfo"),
            "authorization_endpoint": .string("\(base)/oauth2/v2.0/authorize"),
            "device_authorization_endpoint": .string("\(base)/oauth2/v2.0/devicecode"),
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "end_session_endpoint": .string("\(base)/oauth2/v2.0/logout"),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "roles"],
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        ]
        return .json(200, body)
    }

    static func parseForm(_ body: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first else { continue }
            result[PercentCoding.decodeQuery(name)] = parts.count > 1 ? PercentCoding.decodeQuery(parts[1]) : ""
        }
        return result
    }
}
