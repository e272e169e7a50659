import PortalModel
import Testing

@Suite("The portal's permission table")
struct PermissionTests {
    @Test("No built-in role grants Remote Access, which only custom roles may grant")
    func remoteAccessIsCustomOnly() {
        for role in BuiltInRole.allCases {
            #expect(role.permissions.allSatisfy { !$0.isCustomRoleOnly }, "\(role)")
        }
        #expect(Permission.allCases.filter(\.isCustomRoleOnly) == [.remoteAccessView, .remoteAccessModify])
    }

    @Test("Site Lead and Site Technician hold the documented subsets of Pro Manager")
    func builtInGrants() {
        let manager = BuiltInRole.teamsRoomsProManager.permissions
        #expect(manager.count == Permission.allCases.count - 2)
        #expect(BuiltInRole.siteLead.permissions.isSubset(of: manager))
        #expect(BuiltInRole.siteTechnician.permissions.isSubset(of: BuiltInRole.siteLead.permissions))
        #expect(BuiltInRole.siteLead.permissions.contains(.roomGroupsView))
        #expect(!BuiltInRole.siteLead.permissions.contains(.roomGroupsCreate))
        #expect(!BuiltInRole.siteTechnician.permissions.contains(.roomActionsReadWrite))
        #expect(BuiltInRole.siteTechnician.permissions.contains(.roomManagementUnenroll))
    }

    @Test("Built-in references round-trip through builtin:<name>")
    func references() {
        for role in BuiltInRole.allCases {
            #expect(BuiltInRole(reference: role.reference) == role)
        }
        #expect(BuiltInRole(reference: "site-lead") == nil)
        #expect(BuiltInRole(reference: "builtin:admin") == nil)
    }
}
