/// The JSON body of every error response, as Graph shapes it:
/// `{"error": {"code": "...", "message": "...", "target": "..."}}`.
public struct PortalErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        /// A stable, machine-readable code, e.g. `PreconditionFailed`.
        public var code: String
        /// For people; never contains a credential.
        public var message: String
        /// The field, header or object the error is about.
        public var target: String?

        public init(code: String, message: String, target: String? = nil) {
            self.code = code
            self.message = message
            self.target = target
        }
    }

    public var error: Detail

    public init(code: String, message: String, target: String? = nil) {
        self.error = Detail(code: code, message: message, target: target)
    }
}
