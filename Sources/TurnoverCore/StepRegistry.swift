import Foundation

/// Every kind of step Turnover knows, in catalog order. Adding a kind means one file in `Steps/`
/// and one line here.
public enum StepRegistry {
    public static let all: [any StepDefinition.Type] = [
        BlockSignIn.self,
        ResetPassword.self,
        RevokeSessions.self,
        AddToBlockGroup.self,
        RemoveAuthMethod.self,
        RemoveDirectoryRole.self,
        RevokeAppConsent.self,
        RemoveAppRoleAssignment.self,
        DisableDevice.self,
        RetireManagedDevice.self,
        WipeManagedDevice.self,
        RemoveInboxRules.self,
        RemoveMobileDevices.self,
        RemoveMailboxRight.self,
        PlaceLitigationHold.self,
        ConvertToShared.self,
        GrantMailboxAccess.self,
        GrantSendAs.self,
        GrantSendOnBehalf.self,
        GrantOneDriveAccess.self,
        RemoveExternalSharing.self,
        SetForwarding.self,
        RemoveForwarding.self,
        SetAutoReply.self,
        HideFromGAL.self,
        HandOverOwnership.self,
        LeaveGroup.self,
        LeaveDistributionList.self,
        ReportGroup.self,
        CancelMeetings.self,
        MoveDirectReport.self,
        RemoveManager.self,
        MarkAsLeaver.self,
        ClearImmutableId.self,
        RemoveLicences.self,
        DeleteUser.self,
    ]

    private static let byKind: [StepKind: any StepDefinition.Type] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.kind, $0) })

    public static func definition(of kind: StepKind) -> (any StepDefinition.Type)? { byKind[kind] }

    /// The step names a policy may list, in catalog order: the names the default policy switches on.
    public static var policyNames: [String] {
        var seen: Set<String> = []
        return all.map { $0.policyName }.filter { seen.insert($0).inserted }
    }

    /// What a policy without a `steps` list runs: every step that is on by default.
    public static var defaultPolicyNames: [String] {
        var seen: Set<String> = []
        return all.filter { $0.isOnByDefault && !$0.isDestructive }.map { $0.policyName }.filter { seen.insert($0).inserted }
    }

    /// What `steps: all` means: every step that destroys nothing.
    public static var nonDestructivePolicyNames: [String] {
        var seen: Set<String> = []
        return all.filter { !$0.isDestructive }.map { $0.policyName }.filter { seen.insert($0).inserted }
    }

    /// The policy name a technician's word stands for (`out-of-office` → `auto-reply`), if any.
    public static func policyName(for name: String) -> String? {
        let name = name.trimmingCharacters(in: .whitespaces)
        if policyNames.contains(name) { return name }
        return all.first { $0.policyAliases.contains(name) }.map { $0.policyName }
    }

    /// The kinds that one policy step name switches on.
    public static func kinds(switchedOnBy name: String) -> [any StepDefinition.Type] {
        all.filter { $0.switchedOnBy.contains(name) }
    }
}
