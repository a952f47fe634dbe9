/// Microsoft's identifiers for the SKUs, service plans, directory roles and first-party apps a
/// fixture can name. Fixtures refer to them by their public names (`SPE_E3`, `Exchange Administrator`).
enum Catalog {
    struct Plan {
        let name: String
        let id: String
    }

    static let plans: [String: String] = [
        "EXCHANGE_S_STANDARD": "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
        "EXCHANGE_S_ENTERPRISE": "efb87545-963c-4e0d-99df-69c6916d9eb0",
        "EXCHANGE_S_DESKLESS": "4a82b400-a79f-41a4-b4e2-e94f5787b113",
        "EXCHANGE_S_ARCHIVE_ADDON": "176a09a6-7ec5-4039-ac02-b2791c6ba793",
        "EXCHANGE_S_FOUNDATION": "113feb6c-3fe4-4440-bddc-54d774bf0318",
        "SHAREPOINTSTANDARD": "c7699d2e-19aa-44de-8edf-1736da088ca1",
        "SHAREPOINTENTERPRISE": "5dbe027f-2339-4123-9542-606e4d348a72",
        "TEAMS1": "57ff2da0-773e-42df-b2af-ffb7a2317929",
        "OFFICESUBSCRIPTION": "43de0ff5-c92c-492b-9116-175376d08c38",
        "MCOSTANDARD": "0feaeb32-d00e-4d66-bd5a-43b5b83db82c",
        "INTUNE_A": "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
        "AAD_PREMIUM": "41781fb2-bc02-4b7c-bd55-b576c07bb09d",
        "AAD_PREMIUM_P2": "eec0eb4f-6444-4f95-aba0-50c24d67f998",
        "RMS_S_ENTERPRISE": "bea4c11e-220a-4e6d-8eb8-8ea15d019f90",
        "BI_AZURE_P0": "2049e525-b859-401b-b2a0-e0a31c4b1fe4",
        "FLOW_P2_VIRAL": "50e68c76-46c6-4674-81f9-75456511b170",
        "VISIO_CLIENT_SUBSCRIPTION": "663a804f-1c30-4ff0-9915-9db84f0d1cea",
        "ATP_ENTERPRISE": "f20fedf3-f3c3-43c3-8267-2bfdd51c0939",
    ]

    /// Service plans that work only next to another licence's plan: Exchange Online Archiving needs
    /// an Exchange Online mailbox plan. Removing the base while the add-on stays is refused.
    static let planDependencies: [String: [String]] = [
        "EXCHANGE_S_ARCHIVE_ADDON": ["EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_DESKLESS"]
    ]

    struct SkuTemplate {
        let skuId: String
        let displayName: String
        let plans: [String]
    }

    static let skus: [String: SkuTemplate] = [
        "SPE_E3": SkuTemplate(
            skuId: "05e9a617-0261-4cee-bb44-138d3ef5d965", displayName: "Microsoft 365 E3",
            plans: [
                "EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "TEAMS1", "OFFICESUBSCRIPTION", "MCOSTANDARD", "INTUNE_A", "AAD_PREMIUM",
                "RMS_S_ENTERPRISE",
            ]
        ),
        "SPE_E5": SkuTemplate(
            skuId: "06ebc4ee-1bb5-47dd-8120-11324bc54e06", displayName: "Microsoft 365 E5",
            plans: [
                "EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "TEAMS1", "OFFICESUBSCRIPTION", "MCOSTANDARD", "INTUNE_A", "AAD_PREMIUM",
                "AAD_PREMIUM_P2", "ATP_ENTERPRISE",
            ]
        ),
        "SPB": SkuTemplate(
            skuId: "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", displayName: "Microsoft 365 Business Premium",
            plans: [
                "EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "TEAMS1", "OFFICESUBSCRIPTION", "MCOSTANDARD", "INTUNE_A", "AAD_PREMIUM",
                "ATP_ENTERPRISE",
            ]
        ),
        "O365_BUSINESS_PREMIUM": SkuTemplate(
            skuId: "f245ecc8-75af-4f8e-b61f-27d8114de5f3", displayName: "Microsoft 365 Business Standard",
            plans: ["EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "TEAMS1", "OFFICESUBSCRIPTION", "MCOSTANDARD"]
        ),
        "O365_BUSINESS_ESSENTIALS": SkuTemplate(
            skuId: "3b555118-da6a-4418-894f-7df1e2096870", displayName: "Microsoft 365 Business Basic",
            plans: ["EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "TEAMS1", "MCOSTANDARD"]
        ),
        "EXCHANGESTANDARD": SkuTemplate(
            skuId: "4b9405b0-7788-4568-add1-99614e613b69", displayName: "Exchange Online (Plan 1)", plans: ["EXCHANGE_S_STANDARD"]
        ),
        "EXCHANGEENTERPRISE": SkuTemplate(
            skuId: "19ec0d23-8335-4cbd-94ac-6050e30712fa", displayName: "Exchange Online (Plan 2)", plans: ["EXCHANGE_S_ENTERPRISE"]
        ),
        "EXCHANGEARCHIVE_ADDON": SkuTemplate(
            skuId: "ee02fd1b-340e-4a4b-b355-4a514e4c8943", displayName: "Exchange Online Archiving for Exchange Online",
            plans: ["EXCHANGE_S_ARCHIVE_ADDON"]
        ),
        "EMS": SkuTemplate(
            skuId: "efccb6f7-5641-4e0e-bd10-b4976e1bf68e", displayName: "Enterprise Mobility + Security E3",
            plans: ["INTUNE_A", "AAD_PREMIUM", "RMS_S_ENTERPRISE"]
        ),
        "POWER_BI_STANDARD": SkuTemplate(
            skuId: "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235", displayName: "Microsoft Fabric (Free)",
            plans: ["BI_AZURE_P0", "EXCHANGE_S_FOUNDATION"]
        ),
        "FLOW_FREE": SkuTemplate(
            skuId: "f30db892-07e9-47e9-837c-80727f46fd3d", displayName: "Microsoft Power Automate Free",
            plans: ["FLOW_P2_VIRAL", "EXCHANGE_S_FOUNDATION"]
        ),
        "VISIOCLIENT": SkuTemplate(
            skuId: "c5928f49-12ba-48f7-ada3-0d743a3601d5", displayName: "Visio Plan 2", plans: ["VISIO_CLIENT_SUBSCRIPTION"]
        ),
    ]

    struct RoleTemplate {
        let id: String
        let privileged: Bool
    }

    static let roles: [(name: String, template: RoleTemplate)] = [
        ("Global Administrator", RoleTemplate(id: "62e90394-69f5-4237-9190-012177145e10", privileged: true)),
        ("Privileged Role Administrator", RoleTemplate(id: "e8611ab8-c189-46e8-94e1-60213ab1f814", privileged: true)),
        ("Privileged Authentication Administrator", RoleTemplate(id: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", privileged: true)),
        ("User Administrator", RoleTemplate(id: "fe930be7-5e62-47db-91af-98c3a49a38b1", privileged: true)),
        ("Exchange Administrator", RoleTemplate(id: "29232cdf-9323-42fd-ade2-1d097af3e4de", privileged: true)),
        ("SharePoint Administrator", RoleTemplate(id: "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", privileged: true)),
        ("Security Administrator", RoleTemplate(id: "194ae4cb-b126-40b2-bd5b-6091b380977d", privileged: true)),
        ("Authentication Administrator", RoleTemplate(id: "c4e39bd9-1100-46d3-8c65-fb160da0071f", privileged: true)),
        ("Helpdesk Administrator", RoleTemplate(id: "729827e3-9c14-49f7-bb1b-9608f156bbb8", privileged: true)),
        ("Intune Administrator", RoleTemplate(id: "3a2c62db-5318-420d-8d74-23affee5d9d5", privileged: true)),
        ("Groups Administrator", RoleTemplate(id: "fdd7a751-b60b-444a-984c-02652fe8fa1c", privileged: false)),
        ("License Administrator", RoleTemplate(id: "4d6ac14f-3453-41d0-bef9-a3e0c569773a", privileged: false)),
        ("Billing Administrator", RoleTemplate(id: "b0f54661-2d74-4c50-afa3-1ec803f12efe", privileged: false)),
        ("Teams Administrator", RoleTemplate(id: "69091246-20e8-4a56-aa4d-066075b2a7a8", privileged: false)),
        ("Global Reader", RoleTemplate(id: "f2ef992c-3afb-46b9-b7cf-a126ee74c451", privileged: false)),
        ("Compliance Administrator", RoleTemplate(id: "17315797-102d-40b4-93e0-432062caca18", privileged: false)),
    ]

    static let globalAdministratorRoleId = "62e90394-69f5-4237-9190-012177145e10"
    /// Roles that let an app change sensitive properties (sign-in state, password, methods) of admins.
    static let privilegedAuthenticationRoles: Set<String> = ["Global Administrator", "Privileged Authentication Administrator"]
    /// Roles the Exchange admin API accepts next to `Exchange.ManageAsApp`.
    static let exchangeRoles: Set<String> = ["Global Administrator", "Exchange Administrator"]
    /// Roles allowed to reset passwords of non-admin users app-only.
    static let passwordResetRoles: Set<String> = [
        "Global Administrator", "Privileged Authentication Administrator", "User Administrator", "Authentication Administrator",
        "Helpdesk Administrator",
    ]

    struct FirstPartyApp {
        let appId: String
        let displayName: String
    }

    static let microsoftGraph = FirstPartyApp(appId: "00000003-0000-0000-c000-000000000000", displayName: "Microsoft Graph")
    static let exchangeOnline = FirstPartyApp(appId: "00000002-0000-0ff1-ce00-000000000000", displayName: "Office 365 Exchange Online")
    static let sharePointOnline = FirstPartyApp(appId: "00000003-0000-0ff1-ce00-000000000000", displayName: "Office 365 SharePoint Online")
}
