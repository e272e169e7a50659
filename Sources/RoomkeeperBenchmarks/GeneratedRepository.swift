import Foundation
import PortalAPI
import PortalEmulator
import PortalModel

/// A synthetic manifest repository and the tenant it expects, in the shape of a large estate.
/// Deterministic, so runs compare. With the default 200 sites of 100 rooms:
/// - 20,000 rooms in 40 cities of five sites, each site one building of ten floors, display
///   names in several scripts;
/// - 30,000 devices: a main unit per room and a touch console in every other room; in the portal
///   1% of rooms wait in onboarding (apply enrolls them), one room in 200 has a console that has not reported
///   and one main unit in 500 reports from the neighbouring room;
/// - 2,400 room groups: per site ten floor groups listing their rooms, a building group selecting
///   its 100 rooms by location and a city group selecting the city's 500 rooms;
/// - 5,000 role assignments with one to five members (users and security groups), over 25 custom
///   roles and the scoped built-in roles;
/// - 6 custom update rings, each filled by room groups (about 1,000 ring moves in all).
struct GeneratedRepository {
    var sites = 200
    var roomsPerSite = 100
    let floorsPerSite = 10
    let assignmentsPerSite = 25
    let usersPerSite = 40
    let groupsPerSite = 10
    let customRoles = 25
    let customRings = 6
    let sitesPerCity = 5

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

    /// Writes every file under `folder`.
    func write(to folder: URL) throws {
        for file in files() {
            let url = folder.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    var roomCount: Int { sites * roomsPerSite }

    /// The portal inventory and directory this repository expects, with the differences a real
    /// estate has: rooms waiting in onboarding, consoles that have not reported, main units
    /// reporting from another room.
    func tenant(administrator: String) -> TenantSeed {
        var rooms: [TenantSeed.Room] = []
        var devices: [TenantSeed.Device] = []
        var users: [TenantSeed.User] = [.init(userPrincipalName: administrator, displayName: "Benchmark")]
        var groups: [TenantSeed.Group] = []
        for site in 0..<sites {
            for index in 0..<roomsPerSite {
                let number = site * roomsPerSite + index
                rooms.append(
                    .init(
                        email: room(site, index), displayName: roomDisplayName(site, index),
                        location: RoomLocation(
                            country: city(site).country, city: city(site).name, building: building(site), floor: "\(floor(index))"),
                        enrollmentState: number % 100 == 0 ? "onboarding" : "enrolled"))
                let reportsFrom = number % 500 == 7 ? room(site, (index + 1) % roomsPerSite) : room(site, index)
                devices.append(
                    .init(
                        serialNumber: mainUnitSerial(site, index), deviceType: "teamsRoom", manufacturer: "Lenovo", model: "ThinkSmart Core",
                        room: reportsFrom))
                if hasConsole(index), number % 200 != 4 {
                    devices.append(
                        .init(
                            serialNumber: consoleSerial(site, index), deviceType: "touchConsole", manufacturer: "Logitech", model: "Tap",
                            room: room(site, index)))
                }
            }
            for index in 0..<usersPerSite {
                users.append(.init(userPrincipalName: user(site, index), displayName: personName(site, index)))
            }
            for index in 0..<groupsPerSite {
                groups.append(.init(name: securityGroup(site, index)))
            }
        }
        return TenantSeed(administrators: [administrator], users: users, groups: groups, rooms: rooms, devices: devices)
    }

    // MARK: - Names

    private static let cities: [(name: String, country: String)] = [
        ("Zürich", "CH"), ("São Paulo", "BR"), ("Kraków", "PL"), ("東京", "JP"), ("München", "DE"), ("Reykjavík", "IS"),
        ("Montréal", "CA"), ("Malmö", "SE"), ("İstanbul", "TR"), ("Αθήνα", "GR"), ("Düsseldorf", "DE"), ("Göteborg", "SE"),
        ("Bogotá", "CO"), ("Łódź", "PL"), ("Québec", "CA"), ("Seattle", "US"), ("Dublin", "IE"), ("Paris", "FR"),
        ("서울", "KR"), ("Москва", "RU"), ("Brno", "CZ"), ("Århus", "DK"), ("Señorío", "ES"), ("Lyon", "FR"),
        ("Wien", "AT"), ("Genève", "CH"), ("Porto", "PT"), ("Córdoba", "AR"), ("Kyiv", "UA"), ("Praha", "CZ"),
        ("Tromsø", "NO"), ("Ljubljana", "SI"), ("Zagreb", "HR"), ("Vilnius", "LT"), ("Rīga", "LV"), ("Tallinn", "EE"),
        ("Hà Nội", "VN"), ("Mumbai", "IN"), ("大阪", "JP"), ("Nürnberg", "DE"),
    ]
    private static let givenNames = ["Zoë", "Åsa", "Jürgen", "Siobhán", "Çağla", "Øystein", "José", "Małgorzata", "Chloé", "Dóra", "Ngọc", "Björk"]
    private static let familyNames = ["Müller", "Ångström", "Nuñez", "Ó Briain", "Şahin", "Dvořák", "Lefèvre", "Wójcik", "Søndergaard", "Kovačević"]

    private func siteName(_ site: Int) -> String { "site-\(site)" }
    /// Five sites to a city, at any size: a city group selects 500 rooms however large the estate.
    private func city(_ site: Int) -> (name: String, country: String) {
        let index = site / sitesPerCity
        let (name, country) = Self.cities[index % Self.cities.count]
        return (index < Self.cities.count ? name : "\(name) \(index / Self.cities.count + 1)", country)
    }
    private func building(_ site: Int) -> String { "\(city(site).name) · Bâtiment \(site % sitesPerCity + 1)" }
    private func floor(_ index: Int) -> Int { index / (roomsPerSite / floorsPerSite) }
    private func room(_ site: Int, _ index: Int) -> String { "mtr-s\(site)-r\(index)@contoso.com" }
    private func roomDisplayName(_ site: Int, _ index: Int) -> String { "\(city(site).name) — Salle \(index) (étage \(floor(index)))" }
    private func user(_ site: Int, _ index: Int) -> String { "user-\(site)-\(index)@contoso.com" }
    private func personName(_ site: Int, _ index: Int) -> String {
        "\(Self.givenNames[(site + index) % Self.givenNames.count]) \(Self.familyNames[(site * 7 + index) % Self.familyNames.count])"
    }
    private func securityGroup(_ site: Int, _ index: Int) -> String { "sg-site-\(site)-team-\(index)" }
    private func hasConsole(_ index: Int) -> Bool { index % 2 == 0 }
    private func mainUnitSerial(_ site: Int, _ index: Int) -> String { "PF\(site)X\(index)C" }
    private func consoleSerial(_ site: Int, _ index: Int) -> String { "TC\(site)X\(index)T" }
    private func floorGroup(_ site: Int, _ floor: Int) -> String { "s\(site)-floor-\(floor)" }
    private func buildingGroup(_ site: Int) -> String { "s\(site)-building" }
    private func cityGroup(_ site: Int) -> String { "s\(site)-city" }
    private func customRole(_ index: Int) -> String { "role-\(index)" }

    // MARK: - Files

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
        let permissions = Permission.allCases.map(\.slug)
        return (0..<customRoles).map { index in
            var unique: [String] = []
            for step in 0..<(2 + index % 5) {
                let permission: String = permissions[(index * 3 + step * 5) % permissions.count]
                if !unique.contains(permission) { unique.append(permission) }
            }
            return """
                apiVersion: roomkeeper/v1
                kind: Role
                metadata: {name: \(customRole(index))}
                spec:
                  displayName: "Rôle \(index) — équipe « \(Self.cities[index % Self.cities.count].name) »"
                  permissions: [\(unique.joined(separator: ", "))]

                """
        }.joined(separator: "---\n")
    }

    /// Six rings in orders 1 to 6, each filled by the floor groups of one floor in every twelfth site.
    private var rings: String {
        (0..<customRings).map { ring in
            let groups = stride(from: ring, to: sites, by: 12).map { floorGroup($0, ring) }
            return """
                apiVersion: roomkeeper/v1
                kind: UpdateRing
                metadata: {name: ring-\(ring)}
                spec:
                  displayName: "Anneau \(ring + 1) — pilote"
                  order: \(ring + 1)
                  rolloutDays: 2
                  testDays: 2
                  roomGroups: [\(groups.joined(separator: ", "))]

                """
        }.joined(separator: "---\n")
    }

    private func groups(_ site: Int) -> String {
        let perFloor = roomsPerSite / floorsPerSite
        var documents = (0..<floorsPerSite).map { floor in
            let rooms = (0..<perFloor).map { "    - \(room(site, floor * perFloor + $0))" }.joined(separator: "\n")
            return """
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata:
                  name: \(floorGroup(site, floor))
                  labels: {site: "\(site)", floor: "\(floor)"}
                spec:
                  displayName: "\(building(site)) / Étage \(floor)"
                  description: Toutes les salles de l’étage \(floor), site \(site)
                  rooms:
                \(rooms)

                """
        }
        documents.append(
            """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata:
              name: \(buildingGroup(site))
              labels: {site: "\(site)"}
            spec:
              displayName: "\(building(site))"
              selector:
                location: {building: "\(building(site))"}

            """)
        documents.append(
            """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata:
              name: \(cityGroup(site))
              labels: {site: "\(site)"}
            spec:
              displayName: "\(city(site).name) (site \(site))"
              selector:
                location: {city: "\(city(site).name)"}

            """)
        return documents.joined(separator: "---\n")
    }

    private func devices(_ site: Int) -> String {
        (0..<roomsPerSite).map { index in
            var documents = [
                device(site, index, ("compute", "C"), mainUnitSerial(site, index), "teamsRoom", "Lenovo", "ThinkSmart Core", enrolled: true)
            ]
            if hasConsole(index) {
                documents.append(device(site, index, ("console", "T"), consoleSerial(site, index), "touchConsole", "Logitech", "Tap"))
            }
            return documents.joined(separator: "---\n")
        }.joined(separator: "---\n")
    }

    private func device(
        _ site: Int, _ index: Int, _ role: (name: String, tag: String), _ serial: String, _ type: String, _ maker: String, _ model: String,
        enrolled: Bool = false
    ) -> String {
        """
        apiVersion: roomkeeper/v1
        kind: Device
        metadata:
          name: s\(site)-r\(index)-\(role.name)
          labels: {site: "\(site)", floor: "\(floor(index))", asset-tag: "A-\(site)-\(index)-\(role.tag)"}
        spec:
          room: \(room(site, index))
          serialNumber: "\(serial)"
          deviceType: \(type)
          manufacturer: \(maker)
          model: \(model)
        \(enrolled ? "  enrollment: enrolled\n" : "")
        """
    }

    private func assignments(_ site: Int) -> String {
        let builtIn = ["builtin:site-lead", "builtin:site-technician"]
        return (0..<assignmentsPerSite).map { index in
            let role = index % 5 == 0 ? builtIn[(index / 5) % builtIn.count] : customRole((site + index) % customRoles)
            let scope: [String] =
                switch index % 4 {
                case 0: [buildingGroup(site)]
                case 1: [cityGroup(site)]
                default: [floorGroup(site, index % floorsPerSite), floorGroup(site, (index + 3) % floorsPerSite)]
                }
            let count = 1 + (site * 7 + index) % 5
            let members = (0..<count).map { member in
                member == count - 1 && index % 3 == 0
                    ? "    - group: \(securityGroup(site, (index + member) % groupsPerSite))"
                    : "    - user: \(user(site, (index * 3 + member) % usersPerSite))"
            }
            return """
                apiVersion: roomkeeper/v1
                kind: RoleAssignment
                metadata: {name: s\(site)-team-\(index)}
                spec:
                  role: \(role)
                  displayName: "Équipe \(index) · \(city(site).name) (site \(site))"
                  description: L’équipe \(index) s’occupe de \(scope.joined(separator: " et "))
                  emailNotifications: \(index % 2 == 0)
                  members:
                \(members.joined(separator: "\n"))
                  scope:
                    roomGroups: [\(scope.joined(separator: ", "))]

                """
        }.joined(separator: "---\n")
    }
}
