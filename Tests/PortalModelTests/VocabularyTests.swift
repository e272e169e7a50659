import Foundation
import PortalModel
import Testing

@Suite("Closed vocabularies from the wire")
struct VocabularyTests {
    @Test("Known values decode whatever their case; unknown ones are kept as text and never mistaken for known ones")
    func decoding() throws {
        let decoded = try JSONDecoder().decode([Vocabulary<EnrollmentState>].self, from: Data(#"["enrolled","Onboarding","retired"]"#.utf8))
        #expect(decoded == [.known(.enrolled), .known(.onboarding), .unknown("retired")])
        #expect(decoded.map(\.value) == [.enrolled, .onboarding, nil])
        #expect(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self) == #"["enrolled","onboarding","retired"]"#)
        #expect(Vocabulary<DeviceType>("TeamsRoom") == .known(.teamsRoom))
    }
}
