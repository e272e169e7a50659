import PortalEmulator

/// A synthetic manifest repository the size of a large tenant: by default 200 sites of 100 rooms
/// (20,000 rooms), two devices per room (40,000), a room group per floor (2,000), 25 role
/// assignments per site (5,000), custom roles and update rings. Deterministic, so runs compare.
struct GeneratedRepository {
    var sites = 200
    var roomsPerSite = 100
    var floorsPerSite = 10
    var assignmentsPerSite = 25

    /// Relative path and contents of every file.
    func files() -> [(path: String, text: String)] {
        var files: [(String, String)] = [("roomkeeper.yaml", policy), ("roles.yaml", roles), ("rings.yaml", rings)]
        for site in 0..<sites {
            files.append(("sites/\(siteName(site))/groups.yaml", groups(site)))
            files.append(("sites/\(siteName(site))/devices.yaml", devices(site)))
            files.append(("sites/\(siteName(site))/assignments.yaml", assignments(site)))
        }
        return files
    }

    var roomCount: Int { sites * roomsPerSite }

    /// The portal inventory and directory this repository expects: every room (one in
    /// `onboardingEvery` waits in onboarding, for apply to enroll), its main unit and touch
    /// console, and the users
    /// and security groups its assignments name.
    func tenant(administrator: String, onboardingEvery: Int = 100) -> TenantSeed {
        var rooms: [TenantSeed.Room] = []
        var devices: [TenantSeed.Device] = []
        var users: [TenantSeed.User] = [.init(userPrincipalName: administrator, displayName: "Benchmark")]
        var groups: [TenantSeed.Group] = []
        for site in 0..<sites {
            for index in 0..<roomsPerSite {
                let address = room(site, index)
                let onboarding = (site * roomsPerSite + index) % onboardingEvery == 0
                rooms.append(.init(
                    email: address, displayName: "Site \(site) room \(index)", enrollmentState: onboarding ? "onboarding" : "enrolled"))
                devices.append(.init(
                    serialNumber: "PF\(site)X\(index)C", deviceType: "teamsRoom", manufacturer: "Lenovo", model: "ThinkSmart Core",
                    room: address))
                devices.append(.init(
                    serialNumber: "TC\(site)X\(index)T", deviceType: "touchConsole", manufacturer: "Logitech", model: "Tap", room: address))
            }
            for index in 0..<assignmentsPerSite {
                users.append(.init(userPrincipalName: "lead-\(site)-\(index)@contoso.com", displayName: "Lead \(site)-\(index)"))
                users.append(.init(userPrincipalName: "deputy-\(site)-\(index)@contoso.com", displayName: "Deputy \(site)-\(index)"))
                groups.append(.init(name: "sg-site-\(site)-team-\(index)"))
            }
        }
        return TenantSeed(administrators: [administrator], users: users, groups: groups, rooms: rooms, devices: devices)
    }

    private func siteName(_ site: Int) -> String { "site-\(site)" }

    private func room(_ site: Int, _ index: Int) -> String { "mtr-s\(site)-r\(index)@contoso.com" }

    private var policy: String {
        """
        apiVersion: roomkeeper/v1
        kind: Policy
        spec:
          prune: {roomGroups: true, roleAssignments: true}
          deletionGuard: {maxDeletes: 50, maxDeletePercent: 10}

        """
    }

    private var roles: String {
        """
        apiVersion: roomkeeper/v1
        kind: Role
        metadata: {name: helpdesk}
        spec:
          displayName: Help desk
          permissions: [roomManagement.view, ticketManagement.view, ticketManagement.modify]
        ---
        apiVersion: roomkeeper/v1
        kind: Role
        metadata: {name: av-engineer}
        spec:
          displayName: AV engineer
          permissions: [roomManagement.view, roomManagement.modify, roomActions.readWrite, remoteAccess.view]

        """
    }

    private var rings: String {
        """
        apiVersion: roomkeeper/v1
        kind: UpdateRing
        metadata: {name: pilot}
        spec:
          displayName: Pilot
          order: 1
          rolloutDays: 2
          testDays: 5
          rooms: [\(room(0, 0)), \(room(0, 1))]

        """
    }

    private func groups(_ site: Int) -> String {
        let perFloor = roomsPerSite / floorsPerSite
        return (0..<floorsPerSite).map { floor in
            let rooms = (0..<perFloor).map { "    - \(room(site, floor * perFloor + $0))" }.joined(separator: "\n")
            return """
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata:
                  name: s\(site)-floor-\(floor)
                  labels: {site: "\(site)", floor: "\(floor)"}
                spec:
                  displayName: "Site \(site) / Floor \(floor)"
                  description: All rooms on floor \(floor) of site \(site)
                  rooms:
                \(rooms)

                """
        }.joined(separator: "---\n")
    }

    private func devices(_ site: Int) -> String {
        (0..<roomsPerSite).map { index in
            let compute = """
                apiVersion: roomkeeper/v1
                kind: Device
                metadata:
                  name: s\(site)-r\(index)-compute
                  labels: {site: "\(site)", floor: "\(index / (roomsPerSite / floorsPerSite))", asset-tag: "A-\(site)-\(index)-C"}
                spec:
                  room: \(room(site, index))
                  serialNumber: "PF\(site)X\(index)C"
                  deviceType: teamsRoom
                  manufacturer: Lenovo
                  model: ThinkSmart Core
                  enrollment: enrolled

                """
            let console = """
                apiVersion: roomkeeper/v1
                kind: Device
                metadata:
                  name: s\(site)-r\(index)-console
                  labels: {site: "\(site)", floor: "\(index / (roomsPerSite / floorsPerSite))", asset-tag: "A-\(site)-\(index)-T"}
                spec:
                  room: \(room(site, index))
                  serialNumber: "TC\(site)X\(index)T"
                  deviceType: touchConsole
                  manufacturer: Logitech
                  model: Tap

                """
            return compute + "---\n" + console
        }.joined(separator: "---\n")
    }

    private func assignments(_ site: Int) -> String {
        let roles = ["builtin:site-lead", "builtin:site-technician", "helpdesk", "av-engineer"]
        return (0..<assignmentsPerSite).map { index in
            let floors = [index % floorsPerSite, (index + 3) % floorsPerSite].map { "s\(site)-floor-\($0)" }
            return """
                apiVersion: roomkeeper/v1
                kind: RoleAssignment
                metadata: {name: s\(site)-team-\(index)}
                spec:
                  role: \(roles[index % roles.count])
                  displayName: Site \(site) team \(index)
                  description: Team \(index) looks after floors \(floors.joined(separator: " and ")) of site \(site)
                  emailNotifications: \(index % 2 == 0)
                  members:
                    - user: lead-\(site)-\(index)@contoso.com
                    - user: deputy-\(site)-\(index)@contoso.com
                    - group: sg-site-\(site)-team-\(index)
                  scope:
                    roomGroups: [\(floors.joined(separator: ", "))]

                """
        }.joined(separator: "---\n")
    }
}
