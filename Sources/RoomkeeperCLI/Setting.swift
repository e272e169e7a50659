import Foundation

/// A setting given by a flag or, when the flag is absent, by an environment variable; a variable
/// set to the empty string counts as not set (as Terraform's and Flux's tools read theirs).
func setting(_ flag: String?, _ variable: String, in environment: [String: String]) -> String? {
    flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
}
