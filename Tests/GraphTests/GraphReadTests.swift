import Foundation
import GraphAPI
import GraphClient
import GraphEmulator
import PortalAPI
import PortalModel
import TestSupport
import Testing

@Suite("Reading the directory through Graph")
struct GraphReadTests {
    private let secret = GraphCredential.secret(ClientSecret(TestDirectory.secret))

    @Test("The directory reads users, groups, rooms with their lists and licences, and role holders")
    func directory() async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant())
        defer { Task { await graph.stop() } }
        let reader = GraphDirectoryReader(session: try graph.session(secret))
        let directory = try await reader.read()

        let megan = try #require(directory.users.first { $0.userPrincipalName == "megan.bowen@contoso.com" })
        #expect(megan.directoryRoles == [.known(.teamsAdministrator)])
        #expect(directory.users.first { $0.userPrincipalName == "gone.user@contoso.com" }?.accountEnabled == false)
        #expect(directory.users.first { $0.userPrincipalName == "person2@contoso.com" }?.directoryRoles == [.known(.globalReader)])
        // Through a role-assignable group: London Leads holds Global Reader.
        #expect(directory.users.first { $0.userPrincipalName == "person1@contoso.com" }?.directoryRoles == [.known(.globalReader)])
        // A role scoped to an administrative unit does not reach the portal.
        #expect(directory.users.first { $0.userPrincipalName == "person3@contoso.com" }?.directoryRoles == nil)

        #expect(directory.groups.filter { $0.displayName == "London Leads" }.count == 2)
        #expect(directory.groups.first { $0.displayName == "All Staff" }?.securityEnabled == false)

        // Places lists no room hidden from the address list.
        #expect(directory.rooms.map(\.email) == ["conf-lon-3a@contoso.com", "conf-lon-3b@contoso.com", "conf-par-1a@contoso.com"])
        let london = try #require(directory.rooms.first)
        #expect(london.location == RoomLocation(country: "United Kingdom", city: "London", building: "One Canada Square", floor: "3"))
        #expect(london.roomLists == ["london-rooms@contoso.com"])
        #expect(london.licence == .pro)
        #expect(directory.rooms[1].licence == .basic)
        #expect(directory.rooms[1].location.floor == "3")
        #expect(directory.roomLists.map(\.email) == ["london-rooms@contoso.com", "paris-rooms@contoso.com"])
    }

    @Test(
        "Places is paged by $skip to the end, as the service pages it with no next link: 20,000 rooms, lists of 250, a server capping pages below $top",
        arguments: [100, 40])
    func placesBySkip(cap: Int) async throws {
        let app = GraphTenant.App(clientId: TestDirectory.clientId, secrets: [.init(value: TestDirectory.secret)])
        let tenant = GraphTenant.generated(tenantId: TestDirectory.tenantId, app: app, users: 10, groups: 0, rooms: 20_000, roomsPerList: 250)
        let graph = try await RunningGraph.start(tenant: tenant, configuration: GraphServerConfiguration(placesPageCap: cap))
        defer { Task { await graph.stop() } }
        let session = try graph.session(secret)
        // The service's own answer: no next link, and the count when asked.
        let first = try await httpRequest(
            "GET", "\(graph.url)/v1.0/places/microsoft.graph.room?$top=100&$count=true",
            headers: ["Authorization": "Bearer \(try await session.tokens.token())"])
        #expect(!first.body.contains("nextLink") && first.body.contains("\"@odata.count\":20000"), "\(first.body.prefix(300))")

        let directory = try await GraphDirectoryReader(session: session).read()
        #expect(directory.rooms.count == 20_000)
        #expect(directory.roomLists.count == 80)
        #expect(directory.rooms.allSatisfy { $0.roomLists.count == 1 }, "every room is found in its list of 250")
        #expect(Set(directory.rooms.map(\.email)).count == 20_000)
    }

    @Test(
        "Licences come from assignedLicenses: the whole Teams Rooms family, an id the reference lacks named by /subscribedSkus, licence details refused to apps"
    )
    func licences() async throws {
        var tenant = TestDirectory.tenant()
        // The resource accounts as users, holding SKUs of the family by part number.
        let held: [(String, [String])] = [
            ("conf-lon-3a@contoso.com", ["Microsoft_Teams_Rooms_Pro_without_Audio_Conferencing"]),
            ("conf-lon-3b@contoso.com", ["Microsoft_Teams_Rooms_Pro_GCC"]),  // not in Roomkeeper's table: /subscribedSkus names it
            ("conf-par-1a@contoso.com", ["MEETING_ROOM_GOV_NOAUDIOCONF", "ENTERPRISEPACK"]),
        ]
        for (account, parts) in held {
            tenant.users.append(GraphTenant.User(userPrincipalName: account, displayName: account, licences: parts))
        }
        let graph = try await RunningGraph.start(tenant: tenant)
        defer { Task { await graph.stop() } }
        let session = try graph.session(secret)
        let directory = try await GraphDirectoryReader(session: session).read()
        #expect(directory.rooms.map(\.licence) == [.pro, .pro, .standard])

        let details = try await httpRequest(
            "GET", "\(graph.url)/v1.0/users/conf-lon-3a@contoso.com/licenseDetails",
            headers: ["Authorization": "Bearer \(try await session.tokens.token())"])
        #expect(details.status == 403, "Application: Not supported")

        // Without Organization.Read.All the ids the reference lacks stay unnamed (Pro GCC, Standard
        // for GCC without audio conferencing): unlicensed, not a failed read.
        let limited = GraphTenant.App(
            clientId: TestDirectory.clientId, secrets: [.init(value: TestDirectory.secret)],
            permissions: GraphPermission.leastPrivileged.subtracting([GraphPermission.organizationRead]))
        tenant.apps = [limited]
        let withoutOrganization = try await RunningGraph.start(tenant: tenant)
        defer { Task { await withoutOrganization.stop() } }
        let partial = try await GraphDirectoryReader(session: try withoutOrganization.session(secret)).read()
        #expect(partial.rooms.map(\.licence) == [.pro, .unlicensed, .unlicensed])
    }

    @Test(
        "In a cloud without Places the directory is read without it: rooms are not observable, never a failed read",
        arguments: [GraphCloud.usGovernment, .usGovernmentDoD, .china])
    func nationalCloud(cloud: GraphCloud) async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant())
        defer { Task { await graph.stop() } }
        let tokens = GraphTokenProvider(signIn: try graph.signIn(secret, cloud: cloud), http: RunningPortal.testClient)
        let session = GraphSession(tokens: tokens, http: RunningPortal.testClient, retry: RetryPolicyForTests.quick)
        let directory = try await GraphDirectoryReader(session: session).read()
        #expect(directory.cloud.places == false)
        #expect(directory.cloud.proManagementPortal == (cloud == .usGovernment), "GCC High has the portal; DoD and China do not")
        #expect(directory.rooms.isEmpty && directory.roomLists.isEmpty)
        #expect(!directory.users.isEmpty, "the rest of the directory is read as usual")
    }

    @Test("A second read follows the delta links and sees only what changed; an expired link reads everything again")
    func delta() async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(people: 250))
        defer { Task { await graph.stop() } }
        let session = try graph.session(secret)
        let reader = GraphDirectoryReader(session: session)
        let first = try await reader.read()
        let firstRequests = session.counts.requests
        #expect(first.users.count == 256)

        var person = try #require(graph.store.user(named: "person7@contoso.com"))
        person.accountEnabled = false
        person.displayName = "Person Seven"
        graph.store.put(person)
        graph.store.put(GraphTenant.User(userPrincipalName: "new.hire@contoso.com", displayName: "New Hire"))
        let leaver = try #require(graph.store.user(named: "person8@contoso.com"))
        graph.store.removeUser(id: leaver.id)

        let second = try await reader.read()
        let secondRequests = session.counts.requests - firstRequests
        #expect(second.users.count == 256)
        let seven = try #require(second.users.first { $0.userPrincipalName == "person7@contoso.com" })
        #expect(seven.accountEnabled == false)
        #expect(seven.displayName == "Person Seven")
        #expect(second.users.contains { $0.userPrincipalName == "new.hire@contoso.com" })
        #expect(!second.users.contains { $0.userPrincipalName == "person8@contoso.com" })
        // Changes keep the users in the order of their ids, as a cold read gives them.
        #expect(second.users.map(\.id) == second.users.map(\.id).sorted() && first.users.map(\.id) == first.users.map(\.id).sorted())
        // Users and groups by delta, role holders and the role-holding group's members again;
        // Places and licences not at all.
        #expect(secondRequests == 2 + DirectoryRole.allCases.count + 1)

        // A licence change reaches the next pass through the user delta alone: no more requests.
        var account = try #require(graph.store.user(named: "conf-lon-3a@contoso.com"))
        account.licences = ["Microsoft_Teams_Rooms_Basic"]
        graph.store.put(account)
        let beforeThird = session.counts.requests
        let relicensed = try await reader.read()
        #expect(relicensed.rooms.first { $0.email == "conf-lon-3a@contoso.com" }?.licence == .basic)
        #expect(session.counts.requests - beforeThird == secondRequests)

        graph.store.expireDeltaLinks()
        let third = try await reader.read()
        #expect(third.users.map(\.id) == second.users.map(\.id))
        #expect(third == relicensed)
    }

    @Test("What a read saw is kept on disk: the next process reads by delta, and reads rooms again only when git names one it lacks")
    func keptBetweenProcesses() async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(people: 250, devices: true))
        defer { Task { await graph.stop() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graph-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("cache/graph")

        let cold = try graph.session(secret)
        let first = try await GraphDirectoryReader(session: cold, cacheFile: file).read()
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // A new process: a new session and reader over the same file.
        graph.store.put(GraphTenant.User(userPrincipalName: "new.hire@contoso.com", displayName: "New Hire"))
        let warm = try graph.session(secret)
        let second = try await GraphDirectoryReader(session: warm, cacheFile: file).read(
            lookingUp: DirectoryLookups(rooms: ["conf-lon-3a@contoso.com"]))
        #expect(second.users.count == first.users.count + 1)
        // Each user as the cold read saw it, and the room accounts' licences, through the file.
        #expect(second.users.filter { $0.userPrincipalName != "new.hire@contoso.com" } == first.users)
        #expect(second.rooms == first.rooms && second.devices == first.devices)
        #expect(first.rooms.contains { $0.licence != nil })
        // Users and groups by delta, the role holders and the role-holding group's members.
        #expect(warm.counts.requests == 2 + DirectoryRole.allCases.count + 1)

        // A room created since, which git now names: Places is read again five minutes on, not an hour.
        graph.store.put(GraphTenant.Room(email: "conf-new@contoso.com", displayName: "New room"))
        let soon = try await GraphDirectoryReader(session: try graph.session(secret), cacheFile: file)
            .read(lookingUp: DirectoryLookups(rooms: ["conf-new@contoso.com"]))
        #expect(!soon.rooms.contains { $0.email == "conf-new@contoso.com" }, "within five minutes of the last read")
        let later: @Sendable () -> Date = { Date().addingTimeInterval(GraphDirectoryReader.lookupRefreshSeconds + 1) }
        let third = try await GraphDirectoryReader(session: try graph.session(secret), cacheFile: file, now: later)
            .read(lookingUp: DirectoryLookups(rooms: ["conf-new@contoso.com"]))
        #expect(third.rooms.contains { $0.email == "conf-new@contoso.com" })
        let unchanged = try await GraphDirectoryReader(session: try graph.session(secret), cacheFile: file, now: later)
            .read(lookingUp: DirectoryLookups(rooms: ["conf-lon-3a@contoso.com"]))
        #expect(unchanged.rooms == third.rooms, "an hour has not passed: what was kept is used")

        #expect(unchanged.users.map(\.id) == unchanged.users.map(\.id).sorted(), "users come from the file in the order of their ids")

        // A damaged file, cut short or not one at all, or one of another tenant, is a cold start and never an error.
        let kept = try Data(contentsOf: file)
        for cut in [kept.count / 3, kept.count / 2, kept.count - 9] {
            try kept.prefix(cut).write(to: file)
            let session = try graph.session(secret)
            #expect(try await GraphDirectoryReader(session: session, cacheFile: file).read().users == unchanged.users)
            #expect(session.counts.requests == cold.counts.requests, "cut to \(cut) of \(kept.count) bytes")
        }
        try Data("RKB2 not really".utf8).write(to: file)
        let damaged = try graph.session(secret)
        #expect(try await GraphDirectoryReader(session: damaged, cacheFile: file).read().users.count == second.users.count)
        #expect(damaged.counts.requests == cold.counts.requests)

        // A state that cannot be written (its folder is a file) costs the next run a cold read,
        // and never fails this one.
        let blocked = folder.appendingPathComponent("blocked")
        try Data().write(to: blocked)
        let unwritable = try await GraphDirectoryReader(session: try graph.session(secret), cacheFile: blocked.appendingPathComponent("graph")).read()
        #expect(unwritable.users.count == second.users.count)
    }

    @Test("A read that needs what the read under way does not look up waits for it and reads again, rather than lose its lookups")
    func joinedReads() async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(people: 40))
        defer { Task { await graph.stop() } }
        let skew = ManualClock()
        let reader = GraphDirectoryReader(session: try graph.session(secret), now: { Date() + Double(skew.elapsed.components.seconds) })
        _ = try await reader.read()
        // A room created since, looked up by a read that starts while a plain one is under way.
        graph.store.put(GraphTenant.Room(email: "conf-joined@contoso.com", displayName: "Joined room"))
        skew.advance(by: .seconds(GraphDirectoryReader.lookupRefreshSeconds + 1))
        async let plain = reader.read()
        async let looking = reader.read(lookingUp: DirectoryLookups(rooms: ["conf-joined@contoso.com"]))
        let (_, found) = try await (plain, looking)
        #expect(found.rooms.contains { $0.email == "conf-joined@contoso.com" })
    }

    @Test("Pages are followed to the end, and a next link to another host is refused")
    func paging() async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(people: 230))
        let session = try graph.session(secret)
        let (users, _) = try await session.list(GraphUser.self, from: session.url("/users?$select=id,userPrincipalName&$top=50"))
        #expect(users.count == 236)
        #expect(Set(users.map(\.id)).count == 236)
        #expect(session.counts.requests == 5)
        await graph.stop()

        // A server that hands out links to another host: the token does not follow them.
        let port = try freeLoopbackPort()
        let foreign = try await RunningGraph.start(
            tenant: TestDirectory.tenant(people: 230), configuration: GraphServerConfiguration(port: port, baseURL: "http://127.0.0.2:\(port)"))
        defer { Task { await foreign.stop() } }
        let misled = try foreign.session(secret)
        let error = await #expect(throws: GraphError.self) {
            _ = try await misled.list(GraphUser.self, from: misled.url("/users?$top=50"))
        }
        #expect(error?.code == "ForeignNextLink")
        #expect(misled.counts.requests == 1)
    }

    @Test("A list is bounded in bytes: endless padded pages stop at the limit")
    func pagedBytes() async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant())
        defer { Task { await graph.stop() } }
        let padded = try await HostileServer.start(.paddedPages(bytes: 2 << 20))
        defer { Task { await padded.stop() } }
        // Tokens from the emulator, pages from the hostile host.
        let signIn = try GraphSignIn(
            tenantId: graph.store.tenantId, clientId: TestDirectory.clientId, credential: secret,
            authority: try GraphHost(validating: graph.url, purpose: "emulator"), graph: try GraphHost(validating: padded.url, purpose: "hostile"))
        // The limit of 1 GiB, scaled down: endless pages of 2 MiB, and a session given 8 MiB.
        let session = GraphSession(
            tokens: GraphTokenProvider(signIn: signIn, http: RunningPortal.testClient), http: RunningPortal.testClient,
            retry: RetryPolicyForTests.quick,
            listedBytesLimit: 8 << 20)
        let error = await #expect(throws: GraphError.self) {
            _ = try await session.list(GraphUser.self, from: session.url("/users?$top=999"))
        }
        #expect(error?.code == "TooManyBytes", "\(String(describing: error))")
        #expect(
            (1...4).contains(padded.requests.count),
            "the fourth page of 2 MiB and a little passes 8 MiB, and no page is asked for after it: \(padded.requests.count)")
        #expect(GraphSession.maximumListedBytes == 1 << 30)
    }

    @Test("Throttled requests wait for Retry-After and the read still completes with the same result")
    func throttling() async throws {
        let calm = try await RunningGraph.start(tenant: TestDirectory.tenant(people: 120))
        let expected = try await GraphDirectoryReader(session: try calm.session(secret)).read()
        await calm.stop()

        let busy = try await RunningGraph.start(
            tenant: TestDirectory.tenant(people: 120), configuration: GraphServerConfiguration(throttleEvery: 3, retryAfterSeconds: 0))
        defer { Task { await busy.stop() } }
        let session = try busy.session(secret)
        let directory = try await GraphDirectoryReader(session: session).read()
        #expect(directory == expected)
        #expect(session.counts.throttled > 0)
        #expect(session.counts.retries > 0)
    }

    @Test("A batch answers each member on its own: one failing does not fail the others")
    func batchWithFailedMember() async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant())
        defer { Task { await graph.stop() } }
        let session = try graph.session(secret)
        let answers = try await session.batch(
            GraphUser.self,
            paths: [
                "1": "/users/conf-lon-3a@contoso.com?$select=id,userPrincipalName,assignedLicenses",
                "2": "/users/nobody@contoso.com?$select=id,userPrincipalName,assignedLicenses",
            ])
        #expect(session.counts.requests == 1)
        let licences = try answers["1"]?.get().assignedLicenses?.compactMap(\.skuId)
        #expect(licences == ["4cde982a-ede4-4409-9ae6-b003453c8ea6"], "Microsoft_Teams_Rooms_Pro")
        guard case .failure(let error) = answers["2"] else {
            Issue.record("the batch member for a missing user succeeded")
            return
        }
        #expect(error.status == 404)
        #expect(error.code == "Request_ResourceNotFound")
        #expect(error.requestId != nil)
    }

    @Test("Graph's errors reach the user with code, message and request id")
    func errors() async throws {
        let app = GraphTenant.App(
            clientId: TestDirectory.clientId, secrets: [.init(value: TestDirectory.secret)],
            permissions: [GraphPermission.userRead, GraphPermission.groupMemberRead])
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(app: app))
        defer { Task { await graph.stop() } }
        let session = try graph.session(secret)
        let denied = await #expect(throws: GraphError.self) {
            _ = try await session.list(GraphRoom.self, from: session.url("/places/microsoft.graph.room"), service: .places)
        }
        #expect(denied?.status == 403)
        #expect(denied?.code == "Authorization_RequestDenied")
        #expect(denied?.description.contains("request id") == true)

        let unknown = await #expect(throws: GraphError.self) {
            _ = try await session.list(GraphUser.self, from: session.url("/users?$select=id,favouriteColour"))
        }
        #expect(unknown?.message == "Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'.")

        // An OData cast on members is an advanced query: without ConsistencyLevel it is refused.
        let groupId = try #require(graph.store.group(named: "Room Admins")?.id)
        let cast = session.url("/groups/\(groupId)/transitiveMembers/microsoft.graph.user?$count=true&$select=id,userPrincipalName")
        let plain = await #expect(throws: GraphError.self) { _ = try await session.list(GraphMember.self, from: cast) }
        #expect(plain?.code == "Request_UnsupportedQuery")
    }

    @Test("A background caller marks its requests low priority; a refused token signs in again once")
    func lowPriorityAndRefresh() async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant())
        defer { Task { await graph.stop() } }
        let session = try graph.session(secret, priority: .low)
        _ = try await session.list(GraphUser.self, from: session.url("/users?$top=20"))
        graph.store.revokeTokens()
        _ = try await session.list(GraphUser.self, from: session.url("/users?$top=20"))
        #expect(await session.tokens.signIns == 2)
        #expect(graph.store.lowPriorityRequests == 3)
    }
}

@Suite("Reading Intune and Autopilot through Graph")
struct GraphDeviceReadTests {
    @Test("Managed devices and Autopilot registrations are read with their sync times and group tags; without the permission they are left unread")
    func devices() async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(devices: true))
        defer { Task { await graph.stop() } }
        let directory = try await GraphDirectoryReader(session: try graph.session(.secret(ClientSecret(TestDirectory.secret)))).read()
        let registry = try #require(directory.devices)
        #expect(registry.managed.count == 4)
        let stale = try #require(registry.managed.first { $0.serialNumber == "SN-LON-3B" })
        let age = Date().timeIntervalSince(try #require(stale.lastSync)) / 3600
        #expect(age > 499 && age < 502)
        #expect(stale.account == "conf-lon-3b@contoso.com")
        #expect(registry.autopilot.map(\.groupTag).sorted { ($0 ?? "") < ($1 ?? "") } == ["Kiosk", "MTR-London", "Office"])

        let app = GraphTenant.App(
            clientId: TestDirectory.clientId, secrets: [.init(value: TestDirectory.secret)],
            permissions: GraphPermission.leastPrivileged.subtracting([GraphPermission.managedDevicesRead]))
        let limited = try await RunningGraph.start(tenant: TestDirectory.tenant(app: app, devices: true))
        defer { Task { await limited.stop() } }
        let withoutDevices = try await GraphDirectoryReader(session: try limited.session(.secret(ClientSecret(TestDirectory.secret)))).read()
        #expect(withoutDevices.devices == nil, "not observable, never an empty fleet")
        #expect(withoutDevices.users.count == directory.users.count)
    }
}
