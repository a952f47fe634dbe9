/// The built-in demo tenants: Contoso (40+ users, one per edge case, each user's `note` says
/// which) and Fabrikam (a small tenant whose only Global Administrator is a leaver).
public enum DemoTenants {
    /// Graph application permissions of the demo "Turnover" app: what every offboarding step needs.
    public static let fullGraphPermissions = [
        "User.ReadWrite.All", "User.RevokeSessions.All", "User.DeleteRestore.All", "Group.ReadWrite.All", "GroupMember.ReadWrite.All",
        "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "AppRoleAssignment.ReadWrite.All",
        "DelegatedPermissionGrant.ReadWrite.All",
        "UserAuthenticationMethod.ReadWrite.All", "LicenseAssignment.ReadWrite.All", "MailboxSettings.ReadWrite", "Calendars.ReadWrite",
        "Mail.Send", "DeviceManagementManagedDevices.ReadWrite.All", "DeviceManagementManagedDevices.PrivilegedOperations.All",
        "Device.ReadWrite.All", "Files.ReadWrite.All", "Sites.ReadWrite.All", "AuditLog.Read.All", "Organization.Read.All",
        "SharePointTenantSettings.Read.All", "RoleEligibilitySchedule.Read.Directory",
        "Domain.Read.All", "User-LifeCycleInfo.ReadWrite.All",
    ]

    public static let readOnlyGraphPermissions = [
        "User.Read.All", "Group.Read.All", "GroupMember.Read.All", "Directory.Read.All", "RoleManagement.Read.Directory",
        "UserAuthenticationMethod.Read.All", "LicenseAssignment.Read.All", "MailboxSettings.Read", "Calendars.Read",
        "DeviceManagementManagedDevices.Read.All", "Files.Read.All", "AuditLog.Read.All", "Organization.Read.All",
    ]

    /// Entra roles the demo app's service principal holds (Exchange and sensitive user changes need them).
    public static let fullAppRoles = ["Exchange Administrator", "User Administrator", "Privileged Authentication Administrator"]

    public static func fixtures() throws -> [TenantFixture] {
        try [contosoYAML, fabrikamYAML, tailspinYAML].map { yaml in
            var fixture = try TenantFixture.decode(yaml: yaml)
            for index in fixture.apps.indices where fixture.apps[index].graph == nil {
                fixture.apps[index].graph = fullGraphPermissions
            }
            return fixture
        }
    }

    static let appsYAML = """
        apps:
          - name: Turnover
            clientSecret: sandbox-full-access-secret
            exchange: [Exchange.ManageAsApp]
            sharePoint: [Sites.FullControl.All]
            roles: [Exchange Administrator, User Administrator, Privileged Authentication Administrator]
          - name: Turnover (read-only)
            clientSecret: sandbox-read-only-secret
            graph: [User.Read.All, Group.Read.All, GroupMember.Read.All, Directory.Read.All, RoleManagement.Read.Directory, UserAuthenticationMethod.Read.All, LicenseAssignment.Read.All, MailboxSettings.Read, Calendars.Read, DeviceManagementManagedDevices.Read.All, Files.Read.All, AuditLog.Read.All, Organization.Read.All]
            roles: [Global Reader]
          - name: Turnover (Graph only)
            clientSecret: sandbox-graph-only-secret
            roles: [User Administrator, Privileged Authentication Administrator]
        """

    public static let contosoYAML = """
        name: Contoso
        initialDomain: contoso.onmicrosoft.com
        domains: [contoso.com]
        country: US
        hybrid: true
        \(appsYAML)
        skus:
          - {part: SPE_E3, units: 45}
          - {part: SPE_E5, units: 8}
          - {part: EXCHANGEARCHIVE_ADDON, units: 5}
          - {part: EXCHANGESTANDARD, units: 5}
          - {part: VISIOCLIENT, units: 5}
          - {part: POWER_BI_STANDARD, units: 100}
        enterpriseApps:
          - {name: Salesforce, roles: [User, Admin]}
          - {name: Zoom}
          - {name: Adobe Acrobat Sign, roles: [User]}
          - {name: Contoso Expenses, roles: [Submitter, Approver]}
          - {name: Legacy Reporting}
        breakGlass: [breakglass01]
        roles:
          Global Administrator: [amy.ross, breakglass01]
          Exchange Administrator: [olivia.quinn]
          User Administrator: [helpdesk-admins]
        eligibleRoles:
          SharePoint Administrator: [olivia.quinn]
        sharepoint: {deletedUserPersonalSiteRetentionPeriodInDays: 60}
        users:
          - key: amy.ross
            name: Amy Ross
            title: IT Director
            department: IT
            note: Global Administrator but not the last one; offboarding her warns that only the break-glass account would remain.
            manager: tara.vogel
            licenses: [SPE_E5]
            authMethods: [{type: microsoftAuthenticator, name: Pixel 8, isDefault: true}, {type: fido2, name: YubiKey 5C}]
            lastSignIn: -3h
            sessions: 2
            mailbox: {sizeGB: 6.2}
            devices: [{name: IT-AMY-LT, os: Windows, intune: true, compliant: true}]
          - key: breakglass01
            name: Emergency Access 01
            upn: breakglass01@contoso.onmicrosoft.com
            note: Break-glass account, listed in the demo policy; offboarding it is blocked.
            authMethods: [{type: fido2, name: Break-glass key 1}]
            sessions: 0
          - key: ben.carter
            name: Ben Carter
            title: Account Executive
            department: Sales
            office: Seattle
            mobile: "+1 206 555 0142"
            note: The typical leaver. Direct E3, every common kind of membership, MFA, devices, OneDrive, and a manager to receive mail and files.
            manager: kate.lopez
            licenses: [SPE_E3]
            authMethods: [{type: phone, phone: "+1 206 555 0142", isDefault: true}, {type: microsoftAuthenticator, name: iPhone 15}]
            lastSignIn: -20h
            sessions: 3
            mailbox:
              sizeGB: 8.4
              mobileDevices: [{model: iPhone 15, os: iOS 17.5}]
              meetings: [{subject: Pipeline review, start: +2d, attendees: [kate.lopez, diana.frost]}]
            oneDrive: {usedGB: 12.5}
            devices:
              - {name: SEA-BEN-LT, os: Windows, intune: true, compliant: true}
              - {name: Ben's iPhone, os: iOS, osVersion: "17.5", intune: true, compliant: true, ownership: company, model: iPhone 15, manufacturer: Apple}
            appRoles: [{app: Salesforce, role: User}]
          - key: chloe.diaz
            name: Chloe Diaz
            title: Marketing Specialist
            department: Marketing
            note: Forwards mail externally on the mailbox and in an inbox rule; the plan warns and removes both.
            manager: henry.ito
            licenses: [SPE_E3]
            authMethods: [{type: microsoftAuthenticator, name: Galaxy S24}]
            lastSignIn: -2d
            mailbox:
              sizeGB: 4.1
              forwardSmtp: chloe.diaz@gmail.com
              keepCopy: true
              rules: [{name: Copy to personal, forwardTo: [chloe.private@outlook.com]}]
          - key: daniel.evans
            name: Daniel Evans
            title: Senior Accountant
            department: Finance
            note: 62 GB mailbox. A shared mailbox over 50 GB needs a licence, so licence removal is blocked unless a licence is kept.
            manager: jack.kim
            licenses: [SPE_E3]
            authMethods: [{type: microsoftAuthenticator, name: iPhone 13}]
            lastSignIn: -5d
            mailbox: {sizeGB: 62}
          - key: emma.fischer
            name: Emma Fischer
            title: Legal Counsel
            department: Legal
            note: On litigation hold with an archive; the mailbox must keep a licence after conversion.
            manager: tara.vogel
            licenses: [SPE_E5]
            authMethods: [{type: fido2, name: Feitian key}]
            mailbox: {sizeGB: 18, archiveGB: 35, litigationHold: true}
          - key: felix.garcia
            name: Felix Garcia
            title: Operations Lead
            department: Operations
            note: Synced from on-premises AD without password writeback; a cloud sign-in block is reverted at the next sync and a cloud password reset is refused.
            synced: {samAccountName: fgarcia}
            manager: amy.ross
            licenses: [SPE_E3]
            authMethods: [{type: phone, phone: "+1 425 555 0117", isDefault: true}]
            mailbox: {sizeGB: 3.3}
          - key: owen.hart
            name: Owen Hart
            title: Buyer
            department: Operations
            note: Once synced; the sync link was broken and the on-premises immutable ID remains (clear-immutable-id).
            immutableId: "b3dlbmhhcnQtYWQtZ3VpZA=="
            manager: felix.garcia
            licenses: [SPE_E3]
            mailbox: {sizeGB: 1.2}
          - key: ethan.grant
            name: Ethan Grant
            title: Plant Supervisor
            department: Operations
            note: Synced with password writeback; a cloud password reset reaches AD, but a sign-in block still reverts at the next sync.
            synced: {samAccountName: egrant, passwordWriteback: true}
            manager: felix.garcia
            licenses: [SPE_E3]
            mailbox: {sizeGB: 1.9}
          - key: grace.hall
            name: Grace Hall
            title: HR Generalist
            department: HR
            note: Licensed only through the 'Licensing - M365 E3' group; the licence goes by leaving that group, never by assignLicense.
            manager: nina.ortiz
            authMethods: [{type: microsoftAuthenticator, name: iPhone 12}]
            mailbox: {sizeGB: 2.2}
          - key: henry.ito
            name: Henry Ito
            title: Marketing Manager
            department: Marketing
            note: E3 from a licensing group and Visio assigned directly.
            manager: tara.vogel
            licenses: [VISIOCLIENT]
            mailbox: {sizeGB: 5.5}
          - key: isla.jones
            name: Isla Jones
            title: Project Manager
            department: Engineering
            note: Sole owner of a Microsoft 365 group and a security group; offboarding is blocked until a successor is named.
            manager: amy.ross
            licenses: [SPE_E3]
            mailbox: {timeZone: Tokyo Standard Time, sizeGB: 7.0}
          - key: jack.kim
            name: Jack Kim
            title: Finance Manager
            department: Finance
            note: Co-owner of groups; his ownership can go without a successor.
            manager: tara.vogel
            licenses: [SPE_E3]
            mailbox: {timeZone: Pacific Standard Time, sizeGB: 9.8}
          - key: kate.lopez
            name: Kate Lopez
            title: Sales Director
            department: Sales
            note: Manager with direct reports; the plan lists who needs a new manager.
            manager: tara.vogel
            licenses: [SPE_E5]
            authMethods: [{type: microsoftAuthenticator, name: iPhone 15 Pro}]
            lastSignIn: -1d
            mailbox: {sizeGB: 14.2}
          - key: liam.moore
            name: Liam Moore (Fabrikam)
            guest: liam.moore@fabrikam.com
            note: "Guest with a #EXT# UPN; paths must encode # as %23."
            sessions: 1
          - key: mia.oneil
            name: Mia O'Neil
            upn: mia.o'neil@contoso.com
            department: Support
            note: Apostrophe in the UPN; it must be doubled in OData filters and encoded in paths.
            manager: nina.ortiz
            licenses: [SPE_E3]
            mailbox: {sizeGB: 1.2}
          - key: noah.patel
            name: Noah Patel
            upn: $noah.patel@contoso.com
            department: Engineering
            note: "UPN starting with '$'; Graph needs /users('$noah.patel@contoso.com')."
            manager: amy.ross
            licenses: [SPE_E3]
            mailbox: {sizeGB: 2.0}
          - key: olivia.quinn
            name: Olivia Quinn
            title: Messaging Engineer
            department: IT
            note: Holds Exchange Administrator directly; role removal, and sign-in or password changes need a privileged app role.
            manager: amy.ross
            licenses: [SPE_E3]
            authMethods: [{type: microsoftAuthenticator, name: iPhone 14}]
            mailbox: {sizeGB: 4.4}
          - key: peter.reed
            name: Peter Reed
            title: Helpdesk Analyst
            department: IT
            note: Admin through the role-assignable 'Helpdesk Admins' group (User Administrator).
            manager: amy.ross
            licenses: [SPE_E3]
            mailbox: {sizeGB: 2.7}
          - key: quinn.silva
            name: Quinn Silva
            title: Business Analyst
            department: Finance
            note: Consented third-party apps, holds app role assignments and owns an enterprise app.
            manager: jack.kim
            licenses: [SPE_E3]
            mailbox: {sizeGB: 3.9}
            consents:
              - {app: Zoom, scope: User.Read Calendars.ReadWrite}
              - {app: Contoso Expenses, scope: User.Read Mail.Send}
            appRoles: [{app: Adobe Acrobat Sign, role: User}, {app: Contoso Expenses, role: Approver}]
            ownsApps: [Contoso Expenses]
          - key: rachel.tan
            name: Rachel Tan
            title: Inside Sales
            department: Sales
            note: Signed in 20 minutes ago with four live sessions; the plan warns of recent activity.
            manager: kate.lopez
            licenses: [SPE_E3]
            lastSignIn: -20m
            sessions: 4
            mailbox: {sizeGB: 2.5}
          - key: sam.usman
            name: Sam Usman
            title: Office Manager
            department: Operations
            note: Holds Full Access and Send As on the shared Info mailbox (permissions in the other direction).
            manager: nina.ortiz
            licenses: [SPE_E3]
            mailbox: {sizeGB: 3.1}
          - key: tara.vogel
            name: Tara Vogel
            title: Chief Executive Officer
            department: Executive
            note: Executive with an assistant holding Full Access, Send on Behalf and calendar Editor on her mailbox.
            licenses: [SPE_E5]
            authMethods: [{type: microsoftAuthenticator, name: iPhone 15 Pro Max}, {type: fido2, name: YubiKey Bio}]
            mailbox:
              sizeGB: 21.0
              fullAccess: [{user: uma.wu, autoMapping: true}]
              sendOnBehalf: [uma.wu]
              calendarPermissions: [{user: uma.wu, rights: [Editor]}, {user: kate.lopez, rights: [Reviewer]}, {user: rhea.lambert, rights: [Reviewer]}]
          - key: uma.wu
            name: Uma Wu
            title: Executive Assistant
            department: Executive
            note: Delegate of Tara Vogel; her rights on Tara's mailbox are the other direction of a delegation.
            manager: tara.vogel
            licenses: [SPE_E3]
            mailbox: {sizeGB: 4.0}
          - key: umar.west
            name: Umar West
            title: Field Engineer
            department: Engineering
            note: Inbox rules that redirect externally and delete mail, and an automatic reply already on.
            manager: amy.ross
            licenses: [SPE_E3]
            mailbox:
              sizeGB: 6.6
              rules:
                - {name: Send to contractor inbox, redirectTo: [umar@contractor-mail.net]}
                - {name: Delete alerts, from: [alerts@contoso.com], delete: true}
              autoReply: {state: Enabled, internalMessage: On site this week., externalMessage: On site this week.}
          - key: vera.xu
            name: Vera Xu
            title: Program Director
            department: Engineering
            note: Organises future meetings, one of them recurring; they are cancelled in bulk, and focus time without attendees stays.
            manager: tara.vogel
            licenses: [SPE_E3]
            mailbox:
              sizeGB: 11.0
              meetings:
                - {subject: Weekly program sync, start: +2d, recurring: true, attendees: [isla.jones, noah.patel, ryan.turner]}
                - {subject: Q3 kickoff, start: +9d, hours: 2, attendees: [amy.ross, henry.ito, ryan.turner]}
                - {subject: Focus time, start: +1d, hours: 3}
          - key: will.young
            name: Will Young
            title: Sales Engineer
            department: Sales
            note: Two ActiveSync phones, a company laptop in Intune and a personal phone (BYOD); account-only wipe and retire, not a full wipe.
            manager: kate.lopez
            licenses: [SPE_E3]
            mailbox:
              sizeGB: 5.0
              mobileDevices: [{model: iPhone 14, os: iOS 17.4}, {model: Pixel 7, os: Android 14, type: Android}]
            devices:
              - {name: SEA-WILL-LT, os: Windows, intune: true, compliant: true}
              - {name: Will's Pixel, os: Android, osVersion: "14", intune: true, compliant: true, ownership: personal, model: Pixel 7, manufacturer: Google}
          - key: xena.zhou
            name: Xena Zhou
            title: Sales Associate
            department: Sales
            note: Member of dynamic and on-premises synced groups; those are reported with the reason, never removed.
            manager: kate.lopez
            licenses: [SPE_E3]
            mailbox: {sizeGB: 1.4}
          - key: yusuf.adams
            name: Yusuf Adams
            title: Accounts Payable Clerk
            department: Finance
            note: Member of distribution lists and a mail-enabled security group; removed through Exchange, not Graph.
            manager: jack.kim
            licenses: [SPE_E3]
            mailbox: {sizeGB: 2.3}
          - key: zoe.baker
            name: Zoe Baker
            title: Recruiter
            department: HR
            note: Partly offboarded by hand; already blocked and hidden from the GAL, licence still assigned. Turnover skips what is already done.
            manager: nina.ortiz
            enabled: false
            licenses: [SPE_E3]
            sessions: 0
            mailbox: {sizeGB: 2.9, hidden: true}
          - key: aaron.cole
            name: Aaron Cole
            title: Data Analyst
            department: Finance
            note: No Exchange licence and so no mailbox; mailbox steps are skipped with the reason.
            manager: jack.kim
            licenses: [POWER_BI_STANDARD]
          - key: bella.dunn
            name: Bella Dunn
            title: Former Coordinator
            department: Operations
            note: Already converted to a shared mailbox but still licensed; conversion is skipped and the licence can go.
            licenses: [SPE_E3]
            mailbox: {type: shared, sizeGB: 3.6}
          - key: caleb.ellis
            name: Caleb Ellis
            title: Controller
            department: Finance
            note: Archive add-on through a mail-enabled security group; that licence goes with Remove-DistributionGroupMember in Exchange.
            manager: jack.kim
            licenses: [SPE_E3]
            mailbox: {sizeGB: 9.0, archiveGB: 20}
          - key: diana.frost
            name: Diana Frost
            title: Sales Manager
            department: Sales
            note: Co-owner of a Team; removing her as owner also removes her membership (a documented Teams behaviour).
            manager: kate.lopez
            licenses: [SPE_E3]
            mailbox: {sizeGB: 6.0}
          - key: fiona.hughes
            name: Fiona Hughes
            title: Former Designer
            department: Marketing
            note: Deleted 12 days ago; restorable from the recycle bin.
            licenses: [SPE_E3]
            deleted: -12d
          - key: george.irwin
            name: George Irwin
            title: Former Intern
            department: Marketing
            note: Deleted 40 days ago; past the 30-day window, so purged.
            deleted: -40d
          - key: ivan.king
            name: Ivan King
            title: Consultant
            department: Engineering
            note: No manager; the plan asks who should receive mail and files.
            licenses: [SPE_E3]
            mailbox: {sizeGB: 1.1}
          - key: julia.lang
            name: Julia Lang
            title: Compliance Officer
            department: Legal
            note: eDiscovery hold and a 120 GB archive; the mailbox keeps its licence.
            manager: emma.fischer
            licenses: [SPE_E5]
            mailbox: {sizeGB: 30, archiveGB: 120, holds: [UniH3c7f2a1e-9d4b-4c1f-8f4e-2b7d9a6c5e10]}
          - key: laura.nash
            name: Laura Nash
            title: Security Analyst
            department: IT
            note: Every kind of authentication method; the default phone can only go once the others are gone.
            manager: amy.ross
            licenses: [SPE_E3]
            authMethods:
              - {type: phone, phone: "+1 206 555 0170", isDefault: true}
              - {type: phone, phoneType: alternateMobile, phone: "+1 206 555 0171"}
              - {type: phone, phoneType: office, phone: "+1 206 555 0100"}
              - {type: email, email: laura.nash@outlook.com}
              - {type: microsoftAuthenticator, name: iPhone 15}
              - {type: fido2, name: YubiKey 5 NFC}
              - {type: softwareOath, name: Authy}
              - {type: temporaryAccessPass}
              - {type: windowsHelloForBusiness, name: SEA-LAURA-LT}
            mailbox: {sizeGB: 3.0}
          - key: mason.owen
            name: Mason Owen
            title: Reporting Developer
            department: IT
            note: Owns an enterprise app and a registered, unmanaged device.
            manager: amy.ross
            licenses: [SPE_E3]
            ownsApps: [Legacy Reporting]
            mailbox: {sizeGB: 2.0}
            devices: [{name: MASON-MACBOOK, os: MacMDM, join: Workplace}]
          - key: nora.price
            name: Nora Price
            title: Sales Coordinator
            department: Sales
            note: Forwards internally to Ben Carter without keeping a copy; the existing forwarding is replaced.
            manager: kate.lopez
            licenses: [SPE_E3]
            mailbox: {sizeGB: 2.1, forwardTo: ben.carter, keepCopy: false}
          - key: oscar.reyes
            name: Oscar Reyes
            title: Principal Engineer
            department: Engineering
            note: E5 plus a directly assigned archive add-on.
            manager: amy.ross
            licenses: [SPE_E5, EXCHANGEARCHIVE_ADDON]
            mailbox: {sizeGB: 16, archiveGB: 8}
          - key: kai.lund
            name: Kai Lund
            title: Analyst
            department: Finance
            note: E3 plus an archive add-on that depends on E3's Exchange plan, with no archive in use; both go in one assignLicense.
            manager: jack.kim
            licenses: [SPE_E3, EXCHANGEARCHIVE_ADDON]
            mailbox: {sizeGB: 4.0}
          - key: rhea.lambert
            name: Rhea Lambert
            title: Regional Sales Manager
            department: Sales
            note: "The reference leaver: 5 groups, 3 distribution lists, 3 inbox rules, 2 mobile devices, a OneDrive and a mailbox for her manager, rights on 2 other mailboxes, 1 calendar permission and 3 MFA methods."
            manager: kate.lopez
            licenses: [SPE_E3]
            authMethods:
              - {type: phone, phone: "+1 206 555 0199", isDefault: true}
              - {type: microsoftAuthenticator, name: iPhone 13}
              - {type: fido2, name: YubiKey 5 NFC}
            lastSignIn: -2d
            sessions: 2
            mailbox:
              sizeGB: 9.5
              rules:
                - {name: Forward leads, forwardTo: [kate.lopez@contoso.com]}
                - {name: Newsletters, from: [news@contoso.com], moveTo: Newsletters}
                - {name: Delete spam reports, from: [spam@contoso.com], delete: true}
              mobileDevices: [{model: iPhone 13, os: iOS 17.2}, {model: Galaxy S23, os: Android 14, type: Android}]
            oneDrive: {usedGB: 7.5, sharedWith: [partner@fabrikam.com, kate.lopez@contoso.com]}
          - key: paula.shaw
            name: Paula Shaw
            title: Payroll Specialist
            department: Finance
            note: Others hold Send As on her mailbox.
            manager: jack.kim
            licenses: [SPE_E3]
            mailbox: {sizeGB: 2.6, sendAs: [olivia.quinn, sam.usman, rhea.lambert]}
          - key: ryan.turner
            name: Ryan Turner
            title: Software Engineer
            department: Engineering
            note: Attends meetings organised by others; nothing of his to cancel.
            manager: amy.ross
            licenses: [SPE_E3]
            mailbox:
              sizeGB: 3.2
              meetings: [{subject: Weekly program sync, start: +2d, recurring: true, organizer: vera.xu, attendees: [ryan.turner]}]
          - key: nina.ortiz
            name: Nina Ortiz
            title: HR Manager
            department: HR
            note: A natural delegate and successor for HR leavers.
            manager: tara.vogel
            licenses: [SPE_E3]
            mailbox: {sizeGB: 5.2}
          - key: svc.scanner
            name: Scanner Service
            upn: svc.scanner@contoso.com
            department: IT
            note: A service account (scan to e-mail); offboarding it is usually a mistake, and the plan warns.
            licenses: [EXCHANGESTANDARD]
            sessions: 0
            mailbox: {sizeGB: 0.4}
          - key: info
            name: Contoso Info
            note: Shared mailbox without a licence that leavers hold rights on.
            mailbox: {type: shared, sizeGB: 3.0, fullAccess: [sam.usman, {user: tara.vogel, autoMapping: false}], sendAs: [sam.usman]}
          - key: support
            name: Contoso Support
            note: Shared mailbox over 50 GB that keeps its Exchange licence.
            licenses: [EXCHANGESTANDARD]
            mailbox: {type: shared, sizeGB: 55, fullAccess: [mia.oneil, rhea.lambert]}
          - key: boardroom
            name: Boardroom
            note: Room mailbox.
            mailbox: {type: room, sizeGB: 0.2}
        groups:
          - key: all-company
            name: All Company
            type: m365
            team: true
            note: Org-wide Team with two owners.
            owners: [amy.ross, kate.lopez]
            members: [amy.ross, ben.carter, chloe.diaz, daniel.evans, emma.fischer, felix.garcia, ethan.grant, grace.hall, henry.ito, isla.jones, jack.kim, kate.lopez, mia.oneil, noah.patel, olivia.quinn, peter.reed, quinn.silva, rachel.tan, sam.usman, tara.vogel, uma.wu, umar.west, vera.xu, will.young, xena.zhou, yusuf.adams, diana.frost, laura.nash, nora.price, rhea.lambert]
          - key: project-falcon
            name: Project Falcon
            type: m365
            note: Isla Jones is the sole owner.
            owners: [isla.jones]
            members: [isla.jones, ben.carter, jack.kim, liam.moore, rhea.lambert]
          - key: falcon-secure
            name: Falcon Secure Share
            type: security
            note: Security group whose sole owner is Isla Jones.
            owners: [isla.jones]
            members: [isla.jones, jack.kim, rhea.lambert]
          - key: sales-team
            name: Sales Team
            type: m365
            team: true
            note: Team with two owners; removing an owner also removes membership.
            owners: [diana.frost, kate.lopez]
            members: [diana.frost, kate.lopez, ben.carter, rachel.tan, will.young, xena.zhou, nora.price, rhea.lambert]
          - key: sales-dynamic
            name: Sales (dynamic)
            type: security
            dynamic: (user.department -eq "Sales")
            note: Dynamic membership; members cannot be removed.
            members: [ben.carter, kate.lopez, rachel.tan, will.young, xena.zhou, diana.frost, nora.price]
          - key: marketing-dynamic
            name: Marketing (dynamic)
            type: m365
            dynamic: (user.department -eq "Marketing")
            owners: [henry.ito]
            members: [chloe.diaz, henry.ito]
          - key: lic-e3
            name: Licensing - M365 E3
            type: security
            note: Assigns Microsoft 365 E3.
            licenses: [SPE_E3]
            owners: [amy.ross]
            members: [grace.hall, henry.ito]
          - key: lic-archive
            name: Licensing - Exchange Archive
            type: mail-security
            note: Mail-enabled security group that assigns the archive add-on; read-only in Graph.
            licenses: [EXCHANGEARCHIVE_ADDON]
            owners: [amy.ross]
            members: [caleb.ellis]
          - key: finance-approvers
            name: Finance Approvers
            type: security
            owners: [jack.kim, kate.lopez]
            members: [jack.kim, daniel.evans, quinn.silva, caleb.ellis, rhea.lambert]
          - key: vpn-users
            name: VPN Users
            type: security
            synced: true
            note: Synced from on-premises AD; membership is mastered there.
            members: [felix.garcia, ethan.grant, xena.zhou]
          - key: ca-block
            name: CA - Blocked leavers
            type: security
            note: The group a Conditional Access policy blocks from every app; Turnover's block-group step adds leavers to it.
            members: []
          - key: helpdesk-admins
            name: Helpdesk Admins
            type: security
            roleAssignable: true
            note: Role-assignable group holding User Administrator.
            owners: [amy.ross]
            members: [peter.reed]
          - key: all-staff
            name: All Staff
            type: distribution
            mail: allstaff@contoso.com
            owners: [amy.ross]
            members: [ben.carter, chloe.diaz, daniel.evans, isla.jones, jack.kim, kate.lopez, rachel.tan, sam.usman, yusuf.adams, will.young, nora.price, rhea.lambert]
          - key: sales-dl
            name: Sales Announcements
            type: distribution
            owners: [kate.lopez]
            members: [ben.carter, kate.lopez, rachel.tan, yusuf.adams, nora.price, rhea.lambert]
          - key: finance-secure
            name: Finance Secure
            type: mail-security
            owners: [jack.kim]
            members: [jack.kim, yusuf.adams, paula.shaw, rhea.lambert]
          - key: onprem-dl
            name: Plant Notices
            type: distribution
            synced: true
            note: Synced distribution list; membership is mastered on-premises.
            members: [felix.garcia, yusuf.adams]
        """

    public static let fabrikamYAML = """
        name: Fabrikam
        initialDomain: fabrikam.onmicrosoft.com
        domains: [fabrikam.com]
        country: DE
        \(appsYAML)
        skus:
          - {part: SPB, units: 10}
        users:
          - key: frank.miller
            name: Frank Miller
            title: Owner
            note: The only Global Administrator; offboarding him is blocked.
            licenses: [SPB]
            mailbox: {sizeGB: 7.5}
          - key: greta.chen
            name: Greta Chen
            title: Office Manager
            note: An ordinary user in a small tenant.
            manager: frank.miller
            licenses: [SPB]
            mailbox: {sizeGB: 2.0}
          - key: hugo.brandt
            name: Hugo Brandt
            title: Technician
            note: An ordinary user in a small tenant.
            manager: frank.miller
            licenses: [SPB]
            mailbox: {sizeGB: 1.0}
        roles:
          Global Administrator: [frank.miller]
        groups:
          - {key: team, name: Fabrikam Team, type: m365, owners: [frank.miller], members: [frank.miller, greta.chen, hugo.brandt]}
        """

    /// A small business on Microsoft 365 Business Standard: no Entra ID P1, so Graph refuses
    /// `signInActivity` and the last sign-in is unknown.
    public static let tailspinYAML = """
        name: Tailspin
        initialDomain: tailspin.onmicrosoft.com
        domains: [tailspintoys.com]
        country: GB
        \(appsYAML)
        skus:
          - {part: O365_BUSINESS_PREMIUM, units: 5}
        users:
          - key: tom.reid
            name: Tom Reid
            title: Director
            note: The tenant's Global Administrator.
            licenses: [O365_BUSINESS_PREMIUM]
            mailbox: {sizeGB: 4.0}
          - key: una.shaw
            name: Una Shaw
            title: Designer
            note: An ordinary leaver in a tenant without Entra ID P1; her last sign-in cannot be read.
            manager: tom.reid
            licenses: [O365_BUSINESS_PREMIUM]
            lastSignIn: -2h
            mailbox: {sizeGB: 2.5}
        roles:
          Global Administrator: [tom.reid]
        """
}
