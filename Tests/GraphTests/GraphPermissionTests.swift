import Foundation
import GraphAPI
import GraphClient
import GraphEmulator
import TestSupport
import Testing

@Suite("graph serve's permissions are Microsoft's")
struct GraphPermissionTests {
    /// One request `graph serve` answers, and the "Application" row of its table in
    /// microsoftgraph/microsoft-graph-docs-contrib `api-reference/v1.0/` (nil: "Not supported").
    struct Row: Sendable, CustomTestStringConvertible {
        var method = "GET"
        var path: String
        var file: String
        var application: (least: String, higher: [String])?
        var testDescription: String { "\(method) \(path)" }
    }

    static let directoryRead = ["Directory.Read.All", "Directory.ReadWrite.All"]
    static let rows: [Row] = [
        Row(
            path: "/users", file: "includes/permissions/user-list-permissions.md",
            application: ("User.Read.All", directoryRead + ["User.ReadWrite.All"])),
        Row(
            path: "/users/delta", file: "includes/permissions/user-delta-permissions.md",
            application: ("User.Read.All", directoryRead + ["User.ReadWrite.All"])),
        Row(
            path: "/users/megan.bowen@contoso.com", file: "includes/permissions/user-get-permissions.md",
            application: ("User.Read.All", directoryRead + ["User.ReadWrite.All"])),
        Row(
            path: "/users/megan.bowen@contoso.com/licenseDetails", file: "includes/permissions/user-list-licensedetails-permissions.md",
            application: nil),
        Row(
            path: "/subscribedSkus", file: "includes/permissions/subscribedsku-list-permissions.md",
            application: ("Organization.Read.All", directoryRead + ["Organization.ReadWrite.All"])),
        Row(
            path: "/groups", file: "includes/permissions/group-list-permissions.md",
            application: ("GroupMember.Read.All", directoryRead + ["Group.Read.All", "Group.ReadWrite.All"])),
        Row(
            path: "/groups/delta", file: "includes/permissions/group-delta-permissions.md",
            application: ("GroupMember.Read.All", directoryRead + ["Group.Read.All", "Group.ReadWrite.All"])),
        Row(
            path: "/groups/no-such-group/transitiveMembers/microsoft.graph.user",
            file: "includes/permissions/group-list-transitivemembers-permissions.md",
            application: (
                "GroupMember.ReadBasic.All",
                directoryRead + [
                    "Group.Read.All", "Group.ReadBasic.All", "Group.ReadWrite.All", "GroupMember.Read.All", "GroupMember.ReadWrite.All",
                ]
            )),
        Row(
            path: "/places/microsoft.graph.room", file: "includes/permissions/place-list-permissions.md",
            application: ("Place.Read.All", ["Place.ReadWrite.All"])),
        Row(
            path: "/places/microsoft.graph.roomlist", file: "includes/permissions/place-list-permissions.md",
            application: ("Place.Read.All", ["Place.ReadWrite.All"])),
        Row(
            path: "/places/london-rooms@contoso.com/microsoft.graph.roomlist/rooms", file: "includes/permissions/place-list-permissions.md",
            application: ("Place.Read.All", ["Place.ReadWrite.All"])),
        Row(
            path: "/roleManagement/directory/roleAssignments", file: "api/rbacapplication-list-roleassignments.md",
            application: ("RoleManagement.Read.Directory", directoryRead + ["RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory"])),
        Row(
            path: "/deviceManagement/managedDevices", file: "api/intune-devices-manageddevice-list.md",
            application: ("DeviceManagementManagedDevices.Read.All", ["DeviceManagementManagedDevices.ReadWrite.All"])),
        Row(
            path: "/deviceManagement/windowsAutopilotDeviceIdentities", file: "api/intune-enrollment-windowsautopilotdeviceidentity-list.md",
            application: ("DeviceManagementServiceConfig.Read.All", ["DeviceManagementServiceConfig.ReadWrite.All"])),
        Row(
            method: "POST", path: "/deviceManagement/windowsAutopilotDeviceIdentities/no-such-device/updateDeviceProperties",
            file: "api/intune-enrollment-windowsautopilotdeviceidentity-updatedeviceproperties.md",
            application: ("DeviceManagementServiceConfig.ReadWrite.All", [])),
    ]

    /// Every permission any row names, and two that are easily mistaken for them: `User.ReadBasic.All`
    /// (declared for applications, honoured by no /users read) and `Calendars.Read` (rooms' calendars,
    /// not Places).
    static let consentable = Set(rows.flatMap { [$0.application?.least].compactMap { $0 } + ($0.application?.higher ?? []) })
        .union(["User.ReadBasic.All", "Calendars.Read"]).sorted()

    @Test("Each endpoint names its file of Microsoft's reference, and every endpoint graph serve serves is listed")
    func everyEndpointListed() {
        for row in Self.rows {
            let parts = row.path.split(separator: "/").map(String.init)
            let operation = GraphOperation(method: row.method, path: parts)
            #expect(operation?.reference == row.file, "\(row.testDescription)")
        }
        let listed = Set(Self.rows.compactMap { GraphOperation(method: $0.method, path: $0.path.split(separator: "/").map(String.init)) })
        #expect(listed == Set(GraphOperation.allCases))
    }

    @Test("A token passes with the least privileged permission or any higher one, and with nothing else; Not supported refuses all")
    func tokensChecked() async throws {
        // One app per permission, each consented to that one alone; one token each.
        let apps = Self.consentable.enumerated().map { index, permission in
            (
                permission,
                GraphTenant.App(
                    clientId: String(format: "00000000-0000-4000-8000-%012d", index), secrets: [.init(value: TestDirectory.secret)],
                    permissions: [permission])
            )
        }
        var tenant = TestDirectory.tenant()
        tenant.apps = apps.map(\.1)
        let graph = try await RunningGraph.start(tenant: tenant)
        defer { Task { await graph.stop() } }
        var tokens: [(permission: String, token: String)] = []
        for (permission, app) in apps {
            let signIn = try graph.signIn(.secret(ClientSecret(TestDirectory.secret)), clientId: app.clientId)
            tokens.append((permission, try await GraphTokenProvider(signIn: signIn, http: RunningPortal.testClient).token()))
        }

        for row in Self.rows {
            for (permission, token) in tokens {
                let answer = try await httpRequest(
                    row.method, "\(graph.url)/v1.0\(row.path)",
                    headers: ["Authorization": "Bearer \(token)", "ConsistencyLevel": "eventual", "Content-Type": "application/json"],
                    body: row.method == "POST" ? #"{"groupTag":"MTR-x"}"# : nil)
                let permitted = row.application.map { $0.least == permission || $0.higher.contains(permission) } ?? false
                if permitted {
                    #expect(answer.status != 403, "\(row.testDescription) with \(permission), which the table lists: \(answer.body.prefix(200))")
                } else {
                    #expect(
                        answer.status == 403 && answer.body.contains("Authorization_RequestDenied"),
                        "\(row.testDescription) with \(permission), which the table does not list")
                }
            }
        }
    }
}
