import AsyncHTTPClient
import PortalAPI

extension HTTPClient {
    /// The client Roomkeeper's own requests go through by default. A refused or failed connection
    /// is reported at once instead of being retried inside the client until the request's
    /// deadline, so that `RetryPolicy` alone decides how long to keep trying: an unreachable
    /// portal fails a plan in seconds, not minutes.
    public static let roomkeeper: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
