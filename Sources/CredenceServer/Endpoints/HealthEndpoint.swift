import CredenceCore
import CredenceJSON

/// `GET /healthz`: whether this responder can reach its database, for load
/// balancers and operators. 200 when reachable, 503 with `Retry-After` when not.
enum HealthEndpoint {
    static func respond(services: WorkerServices) -> HTTPResponse {
        if services.databaseIsReachable() {
            return .json(["status": "ok", "database": "reachable"])
        }
        return .json(
            ["status": "unavailable", "database": "unreachable"],
            status: 503,
            headers: [HTTPHeaderField(name: "Retry-After", value: "5")]
        )
    }
}
