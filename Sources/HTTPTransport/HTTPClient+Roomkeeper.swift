import AsyncHTTPClient

extension HTTPClient {
    /// The client Roomkeeper's own requests go through by default. A refused or failed connection
    /// is reported at once instead of being retried inside the client until the request's
    /// deadline, so that `RetryPolicy` alone decides how long to keep trying: an unreachable
    /// portal fails a plan in seconds, not minutes.
    ///
    /// Redirects are never followed: a 307 or 308 resends the body, so a sign-in host that
    /// redirected would hand the client secret to whatever host it names, and a portal or a
    /// webhook the token or the report. A redirect is an answer like any other, and fails.
    public static let roomkeeper: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
