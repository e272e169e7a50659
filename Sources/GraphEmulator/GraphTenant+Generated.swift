import Foundation
import GraphAPI
import PortalModel

extension GraphTenant {
    /// A large directory for benchmarks: `users` people (one in twenty disabled), `groups`
    /// security groups of five members each, and `rooms` room mailboxes in buildings of fifty
    /// rooms on five floors across twenty cities, each building a room list; one room in ten holds
    /// a Basic licence, the rest Pro. Deterministic, so runs compare. `roomsPerList` groups the
    /// rooms into room lists of that many instead of one per building.
    public static func generated(tenantId: String, app: App, users: Int, groups: Int, rooms: Int, roomsPerList: Int = 50) -> GraphTenant {
        let cities = [
            "London", "Paris", "Seattle", "Singapore", "Tokyo", "Sydney", "Berlin", "Madrid", "Toronto", "Dublin",
            "Zürich", "Oslo", "Austin", "Chicago", "Mumbai", "São Paulo", "Seoul", "Milan", "Warsaw", "Prague",
        ]
        let people = (0..<users).map { index in
            User(
                userPrincipalName: "user\(index)@bench.example", displayName: "User \(index)", mail: "user\(index)@bench.example",
                accountEnabled: index % 20 != 7, licences: ["ENTERPRISEPACK"])
        }
        let teams = (0..<groups).map { index in
            Group(
                displayName: "Group \(index)", mail: "group\(index)@bench.example",
                members: users == 0 ? [] : (0..<5).map { "user\((index * 5 + $0) % users)@bench.example" })
        }
        let places = (0..<rooms).map { index in
            let building = index / 50
            return Room(
                email: "room\(index)@bench.example", displayName: "Room \(index)",
                address: GraphPhysicalAddress(city: cities[building % cities.count], countryOrRegion: "Contoso Land"),
                building: "Building \(building)", floorNumber: index % 5, capacity: 4 + index % 12,
                licence: index % 10 == 3 ? .basic : .pro)
        }
        let perList = max(1, roomsPerList)
        let lists = stride(from: 0, to: rooms, by: perList).map { first in
            RoomList(
                email: "list\(first / perList)@bench.example", displayName: "Room list \(first / perList)",
                rooms: (first..<min(first + perList, rooms)).map { "room\($0)@bench.example" })
        }
        let holders = DirectoryRole.allCases.flatMap { role in
            (0..<min(4, users)).map { RoleHolder(role: role, principal: "user\($0)@bench.example") }
        }
        return GraphTenant(tenantId: tenantId, apps: [app], users: people, groups: teams, rooms: places, roomLists: lists, roleHolders: holders)
    }
}
