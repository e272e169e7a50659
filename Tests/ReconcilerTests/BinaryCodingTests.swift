import Foundation
import PortalAPI
import PortalEmulator
import Testing

@testable import Reconciler

/// The read cache's binary form: every shape `Codable` produces comes back equal, and damaged
/// bytes throw rather than trap.
@Suite("Binary coding of the read cache")
struct BinaryCodingTests {
    private struct Sample: Codable, Equatable {
        enum Kind: Codable, Equatable {
            case plain
            case labelled(name: String, weight: Int)
        }

        var text = "Zürich — 会議室 🎛"
        var empty = ""
        var negative = -1_234_567_890_123
        var small: Int32 = -7
        var flag = true
        var ratio = -0.000_123
        var when = Date(timeIntervalSince1970: 1_790_000_000.25)
        var missing: String?
        var present: String? = "here"
        var nested = Nested()
        var list: [String?] = ["a", nil, "c"]
        var table = ["x": 1, "y": -2]
        var kinds: [Kind] = [.plain, .labelled(name: "n", weight: 3)]
        var tagged = [Tagged(PortalRoomGroup(id: "rg", displayName: "Étage 3", description: nil, roomIds: ["a@b", "c@d"]), etag: "\"42\"")]
    }

    private struct Nested: Codable, Equatable {
        var depth = [[1, 2], [], [3]]
        var inner: Nested2? = Nested2()
    }

    private struct Nested2: Codable, Equatable {
        var name = "inner"
        var none: Int?
    }

    @Test("Scalars, optionals, nesting, arrays with nils, dictionaries, enums and tagged portal objects round-trip")
    func roundTrip() throws {
        let sample = Sample()
        let bytes = try BinaryCoding.encode(sample)
        #expect(try BinaryCoding.decode(Sample.self, from: bytes) == sample)
        // Decoding into a type that asks for a field never written fails, it does not invent one.
        struct Wider: Decodable {
            var text: String
            var unheardOf: String
        }
        #expect(throws: (any Error).self) { _ = try BinaryCoding.decode(Wider.self, from: bytes) }
    }

    @Test("Code that returns to a container it left is refused, not written damaged")
    func outOfOrder() throws {
        struct Misbehaving: Encodable {
            enum Key: CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var outer = encoder.container(keyedBy: Key.self)
                var first = outer.nestedContainer(keyedBy: Key.self, forKey: .a)
                try outer.encode(1, forKey: .b)
                try first.encode(2, forKey: .a)
            }
        }
        #expect(throws: BinaryCodingError.self) { _ = try BinaryCoding.encode(Misbehaving()) }
    }

    @Test("Cut-off and corrupted bytes throw, never trap")
    func damage() throws {
        // A nil where a string is wanted: String's own decoding would ask for the string again.
        let written = try BinaryCoding.encode([Boxed<String?>(value: nil)])
        #expect(throws: (any Error).self) { _ = try BinaryCoding.decode([Boxed<String>].self, from: written) }

        let bytes = try BinaryCoding.encode(Sample())
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self) { _ = try BinaryCoding.decode(Sample.self, from: Array(bytes.prefix(length))) }
        }
        var generator = SeededRandom(seed: 7)
        for _ in 0..<2_000 {
            var damaged = bytes
            for _ in 0..<3 { damaged[Int(generator.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? BinaryCoding.decode(Sample.self, from: damaged)
        }
    }

    /// A generic field: encoded with `encode`, not `encodeIfPresent`, so a nil is written.
    private struct Boxed<T: Codable>: Codable {
        var value: T
    }
}
