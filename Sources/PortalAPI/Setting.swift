/// A setting given by a flag or, when the flag is absent, by an environment variable. Either set
/// to the empty string counts as not set (as Terraform's and Flux's tools read theirs), so an
/// empty value never stands in for a tenant, a portal or a credential.
public func setting(_ flag: String?, _ variable: String, in environment: [String: String]) -> String? {
    flag.flatMap { $0.isEmpty ? nil : $0 } ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
}
