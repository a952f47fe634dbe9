import Foundation

extension Simulator {
    /// SharePoint REST for OneDrive sites: `ensureuser`, `getuserbyid(n)` (GET, MERGE) and `siteusers`.
    ///
    /// Accepts only app-only tokens obtained with a certificate, as SharePoint Online does.
    func handleSharePoint(_ request: SimRequest, requestId: String, settings: SimulatorSettings) async -> (SimResponse, RequestAttribution)
    {
        var attribution = RequestAttribution(service: "sharepoint")
        let headers: [(String, String)] = [("request-id", requestId), ("SPRequestGuid", requestId), ("X-SharePointHealthScore", "0")]
        func error(_ status: Int, _ code: String, _ message: String) -> SimResponse {
            .json(
                status, ["odata.error": ["code": .string(code), "message": ["lang": "en-US", "value": .string(message)]]], headers: headers)
        }
        guard let token = request.bearerToken, let claims = try? tokens.validate(token, now: clock()) else {
            return (
                .json(
                    401, ["error_description": "Invalid JWT token. The token is expired or malformed."],
                    headers: headers + [("WWW-Authenticate", "Bearer realm=\"\", client_id=\"00000003-0000-0ff1-ce00-000000000000\"")]),
                attribution
            )
        }
        attribution.tenantId = claims.tenantId
        attribution.clientId = claims.clientId
        guard claims.resource == .sharePoint, let tenant = tenant(forKey: claims.tenantId) else {
            return (.json(401, ["error_description": "Invalid audience Uri."], headers: headers), attribution)
        }
        guard claims.credential == .certificate else {
            return (.json(401, ["error_description": "Unsupported app only token."], headers: headers), attribution)
        }
        try? await Task.sleep(for: latency(settings, .sharePoint))

        // /personal/{name}/_api/web/...
        let segments = request.path.split(separator: "/").map { PercentCoding.decode($0) }
        guard segments.count >= 5, segments[0].lowercased() == "personal", segments[2].lowercased() == "_api",
            segments[3].lowercased() == "web"
        else {
            return (error(404, "-2147024894, System.IO.FileNotFoundException", "File Not Found."), attribution)
        }
        let sitePath = "/personal/\(segments[1])".lowercased()
        let action = segments[4...].joined(separator: "/")
        attribution.operation =
            "\(request.method) {site}/_api/web/\(action.replacingOccurrences(of: #"\(\d+\)"#, with: "({id})", options: .regularExpression))"
        let canWrite = claims.roles.contains("Sites.FullControl.All")
        let canRead =
            canWrite || claims.roles.contains("Sites.Read.All") || claims.roles.contains("Sites.ReadWrite.All")
            || claims.roles.contains("Sites.Manage.All")
        guard canRead else {
            return (error(403, "-2147024891, System.UnauthorizedAccessException", "Access denied."), attribution)
        }
        let verbose = request.header("accept")?.contains("odata=verbose") == true
        func wrap(_ value: JSONValue) -> JSONValue { verbose ? ["d": value] : value }
        func userObject(_ user: OneDriveSite.SiteUser) -> JSONValue {
            [
                "Id": .int(Int64(user.id)), "IsHiddenInUI": false, "LoginName": .string(user.loginName), "Title": .string(user.title),
                "PrincipalType": 1, "Email": .string(user.email), "IsSiteAdmin": .bool(user.isSiteAdmin),
                "UserPrincipalName": .string(user.loginName.split(separator: "|").last.map(String.init) ?? user.email),
            ]
        }
        let now = clock()
        let delay = Duration.milliseconds(settings.replicationDelayMilliseconds)
        guard
            let ownerId = tenant.readPrimary({ data in
                data.oneDrives.values.first { URL(string: $0.siteUrl)?.path.lowercased() == sitePath }?.ownerId
            })
        else {
            return (error(404, "-2147024894, System.IO.FileNotFoundException", "File Not Found."), attribution)
        }
        let method = request.header("x-http-method")?.uppercased() ?? request.method
        switch (method, action.lowercased()) {
        case ("POST", "ensureuser"):
            guard canWrite else { return (error(403, "-2147024891, System.UnauthorizedAccessException", "Access denied."), attribution) }
            guard let body = try? JSONValue.parse(request.body), let logonName = body["logonName"]?.stringValue else {
                return (
                    error(
                        400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                        "The expression \"web/ensureuser\" is not valid."), attribution
                )
            }
            let upn = logonName.split(separator: "|").last.map(String.init) ?? logonName
            let result: OneDriveSite.SiteUser? = tenant.write(now: now, replicationDelay: delay) { data in
                guard let user = data.user(forKey: upn), var site = data.oneDrives[ownerId] else { return nil }
                let login = "i:0#.f|membership|\(user.userPrincipalName.lowercased())"
                if let existing = site.siteUsers.first(where: { $0.loginName == login }) { return existing }
                let added = OneDriveSite.SiteUser(
                    id: site.nextSiteUserId, loginName: login, email: user.mail ?? user.userPrincipalName, title: user.displayName,
                    isSiteAdmin: false)
                site.nextSiteUserId += 1
                site.siteUsers.append(added)
                data.oneDrives[ownerId] = site
                return added
            }
            guard let result else {
                // SharePoint answers a user it cannot resolve with a 500 carrying an SPException.
                return (
                    error(500, "-2146232832, Microsoft.SharePoint.SPException", "The user does not exist or is not unique."), attribution
                )
            }
            return (.json(200, wrap(userObject(result)), headers: headers), attribution)
        case ("GET", "siteusers"):
            let users = tenant.read(now: now, replicationDelay: delay) { $0.oneDrives[ownerId]?.siteUsers ?? [] }
            return (
                .json(
                    200, verbose ? ["d": ["results": .array(users.map(userObject))]] : ["value": .array(users.map(userObject))],
                    headers: headers), attribution
            )
        default:
            break
        }
        if action.lowercased().hasPrefix("getuserbyid("), action.hasSuffix(")"),
            let id = Int(action.dropFirst("getuserbyid(".count).dropLast())
        {
            if method == "GET" {
                let user = tenant.read(now: now, replicationDelay: delay) { $0.oneDrives[ownerId]?.siteUsers.first { $0.id == id } }
                guard let user else {
                    return (error(404, "-2146232832, Microsoft.SharePoint.SPException", "User cannot be found."), attribution)
                }
                return (.json(200, wrap(userObject(user)), headers: headers), attribution)
            }
            if method == "MERGE" || method == "PATCH" {
                guard canWrite else {
                    return (error(403, "-2147024891, System.UnauthorizedAccessException", "Access denied."), attribution)
                }
                guard let body = try? JSONValue.parse(request.body), let object = body.objectValue else {
                    return (
                        error(
                            400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                            "Invalid JSON. A token was not recognized in the JSON content."), attribution
                    )
                }
                for key in object.keys where !["IsSiteAdmin", "__metadata", "Title", "Email"].contains(key) {
                    return (
                        error(
                            400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                            "The property '\(key)' does not exist on type 'SP.User'. Make sure to only use property names that are defined by the type."
                        ), attribution
                    )
                }
                let updated: Bool = tenant.write(now: now, replicationDelay: delay) { data in
                    guard let index = data.oneDrives[ownerId]?.siteUsers.firstIndex(where: { $0.id == id }) else { return false }
                    if let admin = object["IsSiteAdmin"]?.boolValue { data.oneDrives[ownerId]?.siteUsers[index].isSiteAdmin = admin }
                    return true
                }
                guard updated else {
                    return (error(404, "-2146232832, Microsoft.SharePoint.SPException", "User cannot be found."), attribution)
                }
                return (SimResponse(status: 204, headers: headers, body: []), attribution)
            }
        }
        return (
            error(404, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "The expression \"web/\(action)\" is not valid."),
            attribution
        )
    }
}
