import Foundation
import PortalAPI

/// Graph's error body (learn.microsoft.com/graph/errors): `error.code`, `error.message`, and
/// `error.innerError` with the `request-id` and `date` support asks for.
public struct GraphErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public var innerError: InnerError?

        public init(code: String, message: String, innerError: InnerError? = nil) {
            self.code = code
            self.message = message
            self.innerError = innerError
        }
    }

    public struct InnerError: Codable, Sendable, Equatable {
        public var requestId: String?
        public var clientRequestId: String?
        public var date: String?

        public init(requestId: String?, clientRequestId: String? = nil, date: String? = nil) {
            self.requestId = requestId
            self.clientRequestId = clientRequestId
            self.date = date
        }

        enum CodingKeys: String, CodingKey {
            case requestId = "request-id"
            case clientRequestId = "client-request-id"
            case date
        }
    }

    public var error: Detail

    public init(code: String, message: String, requestId: String? = nil, date: String? = nil) {
        error = Detail(code: code, message: message, innerError: InnerError(requestId: requestId, date: date))
    }
}

/// A JSON batch request (learn.microsoft.com/graph/json-batching): at most 20 requests, each
/// with an id, a method and a URL relative to the version root.
public struct GraphBatchRequest: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public var id: String
        public var method: String
        public var url: String

        public init(id: String, method: String = "GET", url: String) {
            self.id = id
            self.method = method
            self.url = url
        }
    }

    /// The most requests one batch may hold.
    public static let maximumRequests = 20
    public var requests: [Item]

    public init(requests: [Item]) { self.requests = requests }
}

/// A JSON batch response: one answer per request, in any order, each with its own status.
/// A member's body is its collection when it succeeded and Graph's error body when it did not.
public struct GraphBatchResponse<Body: Codable & Sendable>: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public var id: String
        public var status: Int
        public var headers: [String: String]?
        public var body: Body?
        public var error: GraphErrorBody?

        public init(id: String, status: Int, headers: [String: String]? = nil, body: Body? = nil, error: GraphErrorBody? = nil) {
            self.id = id
            self.status = status
            self.headers = headers
            self.body = body
            self.error = error
        }

        enum CodingKeys: String, CodingKey { case id, status, headers, body }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            status = try container.decode(Int.self, forKey: .status)
            headers = try container.decodeIfPresent([String: String].self, forKey: .headers)
            if (200..<300).contains(status) {
                body = try container.decodeIfPresent(Body.self, forKey: .body)
            } else {
                error = try? container.decodeIfPresent(GraphErrorBody.self, forKey: .body)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(status, forKey: .status)
            try container.encodeIfPresent(headers, forKey: .headers)
            if let body { try container.encode(body, forKey: .body) } else { try container.encodeIfPresent(error, forKey: .body) }
        }
    }

    public var responses: [Item]

    public init(responses: [Item]) { self.responses = responses }
}

/// The token endpoint's answer to a client-credentials request.
public struct TokenResponse: Codable, Sendable {
    public var tokenType: String
    public var expiresIn: Int
    public var accessToken: String
    /// With the authorization code flow and the `openid` scope: who signed in.
    public var idToken: String?

    public init(tokenType: String = "Bearer", expiresIn: Int, accessToken: String, idToken: String? = nil) {
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.accessToken = accessToken
        self.idToken = idToken
    }

    enum CodingKeys: String, CodingKey {
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case accessToken = "access_token"
        case idToken = "id_token"
    }
}

/// The token endpoint's error (learn.microsoft.com/entra/identity-platform/reference-error-codes):
/// an OAuth error code and a description that starts with the `AADSTS` code, plus trace and
/// correlation ids for support.
public struct TokenErrorBody: Codable, Sendable, Equatable {
    public var error: String
    public var errorDescription: String
    public var errorCodes: [Int]?
    public var traceId: String?
    public var correlationId: String?
    public var timestamp: String?

    public init(
        error: String, errorDescription: String, errorCodes: [Int]? = nil, traceId: String? = nil, correlationId: String? = nil,
        timestamp: String? = nil
    ) {
        self.error = error
        self.errorDescription = errorDescription
        self.errorCodes = errorCodes
        self.traceId = traceId
        self.correlationId = correlationId
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
        case errorCodes = "error_codes"
        case traceId = "trace_id"
        case correlationId = "correlation_id"
        case timestamp
    }
}

/// The form fields of client-credentials token requests.
public enum TokenRequestField {
    public static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// The audience a workload identity's federated token must carry for Entra ID to take it
    /// (learn.microsoft.com/entra/workload-id/workload-identity-federation).
    public static let federatedAudience = "api://AzureADTokenExchange"
}

/// A failure talking to Graph or its sign-in endpoint, told the way Graph tells it: the status,
/// Graph's error code and message, and the request id support needs. Never holds a credential.
public struct GraphError: Error, Sendable, CustomStringConvertible, Equatable {
    public var status: Int
    public var code: String
    public var message: String
    public var requestId: String?
    public var retryAfter: Double?

    public init(status: Int, code: String, message: String, requestId: String? = nil, retryAfter: Double? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.requestId = requestId
        self.retryAfter = retryAfter
    }

    public var description: String {
        (status > 0 ? "Graph answered \(status) \(code): " : "\(code): ") + message + (requestId.map { " (request id \($0))" } ?? "")
    }
}

extension GraphError: AccessRefusal {
    /// A refused sign-in, or a 401 or 403 from Graph (a missing permission or admin consent).
    public var isAccessRefused: Bool { code == "SignInFailed" || status == 401 || status == 403 }
}
