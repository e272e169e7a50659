import Testing

@testable import Manifests

@Suite("What YAML makes of unquoted text")
struct PlainScalarTests {
    @Test(
        "Each plain scalar resolves as YAML 1.1 and 1.2 readers would",
        arguments: [
            ("", PlainScalar.Resolution.null), ("~", .null), ("null", .null), ("NULL", .null),
            ("true", .bool(true)), ("False", .bool(false)),
            ("yes", .yaml11Bool(true)), ("No", .yaml11Bool(false)), ("on", .yaml11Bool(true)), ("OFF", .yaml11Bool(false)),
            ("y", .yaml11Bool(true)), ("n", .yaml11Bool(false)),
            ("42", .integer(value: 42)), ("-7", .integer(value: -7)), ("0", .integer(value: 0)),
            ("0123", .integer(value: nil)), ("0x1F", .integer(value: nil)), ("0o17", .integer(value: nil)),
            ("1_000", .integer(value: nil)), ("1:30", .integer(value: nil)),
            ("3.14", .float), ("1e3", .float), (".inf", .float), ("-.Inf", .float), (".NaN", .float),
            ("conf-lon@contoso.com", .string), ("teamsRoom", .string), ("yesterday", .string), ("nope", .string),
            ("1.2.3", .string), ("+", .string), ("-", .string), ("12abc", .string), ("0x", .string), ("10:30 am", .string),
            ("e5", .string), ("1e", .string),
        ])
    func resolution(text: String, expected: PlainScalar.Resolution) {
        #expect(PlainScalar.resolve(text) == expected, "\(text)")
    }
}
