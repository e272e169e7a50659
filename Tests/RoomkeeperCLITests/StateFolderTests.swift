import Engine
import Foundation
import PortalAPI
import Reconciler
import StateStore
import Testing

@Suite("The state folder's layout")
struct StateFolderTests {
    @Test("Every path is where earlier releases kept it, named by a digest of the portal's or tenant's key, never by the key itself")
    func layout() {
        let state = StateFolder(URL(fileURLWithPath: "/var/lib/roomkeeper"))
        let portal = PortalIdentity.portal(endpoint: "https://portal.example.com")
        let directory = PortalIdentity.directory(tenantKey: "0b5e6c1d tenant")
        #expect(directory.key == "directory 0b5e6c1d tenant")
        #expect(
            state.inventoryRecord(for: portal).path
                == "/var/lib/roomkeeper/inventory/\(StableDigest.hex("https://portal.example.com", length: 16)).json")
        #expect(state.inventoryRecord(for: directory).lastPathComponent == "\(StableDigest.hex("directory 0b5e6c1d tenant", length: 16)).json")
        #expect(state.portalReadCache(for: portal).path == "/var/lib/roomkeeper/cache/\(StableDigest.hex("https://portal.example.com", length: 16))")
        #expect(state.driftHistory(for: portal).deletingLastPathComponent().lastPathComponent == "drift")
        #expect(state.directoryCache(for: "0b5e6c1d tenant").lastPathComponent == "graph-\(StableDigest.hex("0b5e6c1d tenant", length: 16))")
        #expect(state.checklistConfirmations(for: "0b5e6c1d tenant").lastPathComponent == "\(StableDigest.hex("0b5e6c1d tenant", length: 16)).json")
        #expect(state.journals.path == "/var/lib/roomkeeper/journal" && state.verifiedCommits.lastPathComponent == "verified")
        #expect(state.controllerSuspendMarker.path == "/var/lib/roomkeeper/controller/suspended")
        #expect(StateFolder.forThisMachine(environment: ["XDG_STATE_HOME": "/x"]).root.path == "/x/roomkeeper")
        #expect(StateFolder.forThisMachine(environment: ["ROOMKEEPER_STATE_DIR": "/y", "XDG_STATE_HOME": "/x"]).root.path == "/y")
        for path in [state.inventoryRecord(for: portal), state.portalReadCache(for: portal), state.driftHistory(for: portal)] {
            #expect(!path.path.contains("portal.example.com"))
        }
    }
}
