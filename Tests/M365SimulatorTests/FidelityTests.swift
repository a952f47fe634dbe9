import Foundation
import Testing

@testable import M365Simulator

/// Six behaviours of Microsoft 365 that the simulator once got wrong together with the client
/// (shared/reference/fidelity-audit.md), each checked over HTTP as a client sees it.
@Suite("Microsoft's behaviour (fidelity audit)")
struct FidelityTests {
    @Test("the default Microsoft Authenticator cannot be deleted while another method remains; once alone, it can")
    func defaultAuthenticator() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let amy = try await sim.userId("amy.ross", token: token)
            let methods = try await sim.send("GET", "/v1.0/users/\(amy)/authentication/methods", token: token).values
            let app = try #require(methods.first { ($0["@odata.type"] as? String)?.contains("microsoftAuthenticator") == true })
            let key = try #require(methods.first { ($0["@odata.type"] as? String)?.contains("fido2") == true })
            let path = "/v1.0/users/\(amy)/authentication/microsoftAuthenticatorMethods/\(app["id"] as! String)"
            let refused = try await sim.send("DELETE", path, token: token)
            #expect(refused.status == 400)
            #expect(refused.text.contains("Cannot delete default method with other methods configured"))
            let keyDeleted = try await sim.send(
                "DELETE", "/v1.0/users/\(amy)/authentication/fido2Methods/\(key["id"] as! String)", token: token)
            #expect(keyDeleted.status == 204)
            #expect(try await sim.send("DELETE", path, token: token).status == 204)
        }
    }

    @Test("signInActivity needs Entra ID P1: a Business Standard tenant answers 403, and the same read without it works")
    func signInActivityNeedsPremium() async throws {
        try await Harness.run { sim in
            let tailspin = sim.simulator.tenantSummaries().first { $0.name == "Tailspin" }!
            let token = try await sim.token(tailspin.apps.first { !$0.displayName.contains("read-only") }!, tenant: tailspin)
            let upn = "una.shaw@tailspintoys.com"
            let refused = try await sim.send("GET", "/v1.0/users/\(upn)?$select=id,signInActivity", token: token)
            #expect(refused.status == 403)
            #expect(refused.errorCode == "Authentication_RequestFromNonPremiumTenantOrB2CTenant")
            #expect(try await sim.send("GET", "/v1.0/users/\(upn)?$select=id,displayName", token: token).status == 200)
            // Contoso has P1 (in E3): the same property reads.
            let contoso = try await sim.token()
            let ben = try await sim.send("GET", "/v1.0/users/ben.carter@contoso.com?$select=id,signInActivity", token: contoso)
            #expect(ben.status == 200 && ben.json["signInActivity"] != nil)
        }
    }

    @Test("a cmdlet-execution error says 'Error executing cmdlet' with the real exception in details; a binding error keeps its shape")
    func exchangeExecutionErrors() async throws {
        try await Harness.run { sim in
            let exchange = try await sim.token(resource: .exchange)
            let missing = try await sim.exchange("Get-Mailbox", ["Identity": "nobody@contoso.com"], token: exchange)
            let error = try #require(missing.json["error"] as? [String: Any])
            #expect(missing.status == 404)
            #expect(error["code"] as? String == "NotFound")
            #expect(error["message"] as? String == "Error executing cmdlet")
            let detail = (error["details"] as? [[String: Any]])?.first?["message"] as? String ?? ""
            #expect(detail.contains("|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|"))
            let inner = (error["innererror"] as? [String: Any])?["internalexception"] as? [String: Any]
            #expect((inner?["message"] as? String)?.contains("DirectInvokeCmdletExecutionException") == true)

            let binding = try await sim.exchange("Get-Mailbox", ["Identity": "ben.carter@contoso.com", "Bogus": 1], token: exchange)
            let bindingError = try #require(binding.json["error"] as? [String: Any])
            #expect(bindingError["message"] as? String == "Invalid Operation")
            let bindingInner = (bindingError["innererror"] as? [String: Any])?["internalexception"] as? [String: Any]
            #expect((bindingInner?["message"] as? String)?.contains("parameter name 'Bogus'") == true)
        }
    }

    @Test("a synced user's mailbox converted in the cloud is put back to a user mailbox by the next directory sync")
    func hybridConversionReverts() async throws {
        try await Harness.run(configure: { $0.mailboxConversionDelayMilliseconds = 0 }) { sim in
            let exchange = try await sim.token(resource: .exchange)
            let upn = "felix.garcia@contoso.com"
            #expect(try await sim.exchange("Set-Mailbox", ["Identity": upn, "Type": "Shared"], token: exchange).status == 200)
            let converted = try await sim.exchange("Get-Mailbox", ["Identity": upn], token: exchange)
            #expect(converted.values.first?["RecipientTypeDetails"] as? String == "SharedMailbox")
            #expect(try await sim.send("POST", "/_sim/tenants/Contoso/sync").status < 300)
            let after = try await sim.exchange("Get-Mailbox", ["Identity": upn], token: exchange)
            #expect(after.values.first?["RecipientTypeDetails"] as? String == "UserMailbox")
        }
    }

    @Test("removing a licence another assigned licence depends on is refused; removing both at once works")
    func licenceDependencies() async throws {
        try await Harness.run { sim in
            let token = try await sim.token()
            let kai = try await sim.userId("kai.lund", token: token)
            let skus = try await sim.send("GET", "/v1.0/subscribedSkus", token: token).values
            func sku(_ part: String) -> String { skus.first { $0["skuPartNumber"] as? String == part }!["skuId"] as! String }
            let alone = try await sim.send(
                "POST", "/v1.0/users/\(kai)/assignLicense", token: token, json: ["addLicenses": [], "removeLicenses": [sku("SPE_E3")]])
            #expect(alone.status == 400)
            #expect(alone.text.contains("depends on the service plan(s)"))
            let both = try await sim.send(
                "POST", "/v1.0/users/\(kai)/assignLicense", token: token,
                json: ["addLicenses": [], "removeLicenses": [sku("SPE_E3"), sku("EXCHANGEARCHIVE_ADDON")]])
            #expect(both.status == 200)
            #expect((both.json["assignedLicenses"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("a group-based licence stays in licenseAssignmentStates for a while after the member leaves the group")
    func groupLicenceLingers() async throws {
        let clock = ManualClock()
        try await Harness.run(configure: { $0.groupLicenceRemovalDelayMilliseconds = 600 }, clock: clock.now) { sim in
            let token = try await sim.token()
            let grace = try await sim.userId("grace.hall", token: token)
            let groups = try await sim.send("GET", "/v1.0/users/\(grace)/memberOf", token: token).values
            let licensing = try #require(groups.first { $0["displayName"] as? String == "Licensing - M365 E3" }?["id"] as? String)
            #expect(try await sim.send("DELETE", "/v1.0/groups/\(licensing)/members/\(grace)/$ref", token: token).status == 204)
            func states() async throws -> [[String: Any]] {
                try await sim.send("GET", "/v1.0/users/\(grace)?$select=id,licenseAssignmentStates", token: token).json[
                    "licenseAssignmentStates"] as? [[String: Any]] ?? []
            }
            #expect(try await states().contains { $0["assignedByGroup"] as? String == licensing })
            clock.advance(milliseconds: 800)
            #expect(try await !states().contains { $0["assignedByGroup"] as? String == licensing })
        }
    }
}
