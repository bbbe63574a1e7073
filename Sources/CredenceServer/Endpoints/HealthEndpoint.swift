import CredenceCore
import CredenceJSON

/// `GET /healthz`: whether this responder can reach its database, for load
/// balancers and operators. 200 when reachable, 503 with `Retry-After` when not;
/// either answer also tells the process's outage log.
enum HealthEndpoint {
    static func respond(services: WorkerServices, outages: DatabaseOutageLog) -> HTTPResponse {
        if services.databaseIsReachable() {
            outages.databaseReached()
            return .json(["status": "ok", "database": "reachable"])
        }
        outages.requestFailed(detail: "health check: the database does not answer")
        return .json(
            ["status": "unavailable", "database": "unreachable"],
            status: 503,
            headers: [HTTPHeaderField(name: "Retry-After", value: "5")]
        )
    }
}
