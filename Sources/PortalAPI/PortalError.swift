/// An error from the portal, the same whether it came over HTTP or from the embedded portal, so
import PortalModel

/// the reconciler handles one type. Carries the HTTP status and the Graph-style body.
public struct PortalError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var target: String?
    /// Seconds to wait before retrying (429 and 503 responses).
    public var retryAfter: Double?

    public init(status: Int, code: String, message: String, target: String? = nil, retryAfter: Double? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.retryAfter = retryAfter
    }

    public var description: String {
        // The portal's words reach terminals and logs: no control characters from it get through.
        "\(message.terminalSafe) (\(status) \(code.terminalSafe)\(target.map { ", \($0.terminalSafe)" } ?? ""))"
    }

    public static func badRequest(_ message: String, target: String? = nil) -> PortalError {
        PortalError(status: 400, code: "BadRequest", message: message, target: target)
    }

    public static func unauthorized(_ message: String) -> PortalError {
        PortalError(status: 401, code: "Unauthorized", message: message)
    }

    public static func forbidden(_ message: String, target: String? = nil) -> PortalError {
        PortalError(status: 403, code: "Forbidden", message: message, target: target)
    }

    public static func notFound(_ message: String, target: String? = nil) -> PortalError {
        PortalError(status: 404, code: "NotFound", message: message, target: target)
    }

    public static func conflict(_ message: String, target: String? = nil) -> PortalError {
        PortalError(status: 409, code: "Conflict", message: message, target: target)
    }

    public static func preconditionFailed(_ message: String, target: String? = nil) -> PortalError {
        PortalError(status: 412, code: "PreconditionFailed", message: message, target: target)
    }

    public static func preconditionRequired(_ message: String) -> PortalError {
        PortalError(status: 428, code: "PreconditionRequired", message: message, target: "If-Match")
    }

    public static func tooManyRequests(retryAfter: Double) -> PortalError {
        PortalError(
            status: 429, code: "TooManyRequests", message: "too many requests; retry after \(Int(retryAfter.rounded(.up))) s",
            retryAfter: retryAfter)
    }

    /// The body sent on the wire.
    public var body: PortalErrorBody { PortalErrorBody(code: code, message: message, target: target) }
}
