import Foundation

/// Whose signatures make a revision trusted, declared outside the repository it protects (as
/// Flux's `spec.verify` and Argo CD's GnuPG keys are): an OpenSSH `allowed_signers` file for
/// SSH-signed commits and tags, an OpenPGP keyring for GPG-signed ones, or both.
public struct SignatureTrust: Sendable, Equatable {
    /// What must be signed, as Flux's `spec.verify.mode` says it.
    public enum Mode: String, Sendable, CaseIterable {
        /// The commit Roomkeeper reads: the tip of the branch, the commit a tag points to, or the commit named.
        case head
        /// The annotated tag the ref names (the ref must be a tag).
        case tag
        /// Both the tag and the commit it points to.
        case tagAndHead = "tag-and-head"
    }

    /// An OpenSSH allowed_signers file (`ssh-keygen -Y verify -f`).
    public var allowedSigners: String?
    /// An OpenPGP keyring of trusted public keys (`gpgv --keyring`), e.g. `gpg --export KEY... > trusted.gpg`.
    public var gpgKeyring: String?
    public var mode: Mode

    public init(allowedSigners: String? = nil, gpgKeyring: String? = nil, mode: Mode = .head) {
        self.allowedSigners = allowedSigners
        self.gpgKeyring = gpgKeyring
        self.mode = mode
    }
}

/// Who signed a verified revision: shown in plans and drift reports.
public struct VerifiedSigner: Sendable, Equatable, CustomStringConvertible {
    public enum Method: String, Sendable {
        case ssh, openpgp
    }

    public var method: Method
    /// The principal in allowed_signers, or the OpenPGP user id.
    public var identity: String
    /// `SHA256:...` for SSH keys; the primary key fingerprint for OpenPGP keys.
    public var fingerprint: String
    /// What was verified: `commit 1a2b3c4d5e6f`, `tag v1.2`.
    public var object: String

    public var description: String { "\(object) signed by \(identity) (\(method.rawValue) key \(fingerprint))" }
}

/// Why a revision's signature was not accepted; it names the commit and, when known, the key.
public struct UnverifiedRevision: Error, Sendable, Equatable, CustomStringConvertible {
    public var object: String
    public var problem: String
    /// The signing key's fingerprint, when the signature named one.
    public var fingerprint: String?

    public var description: String {
        "\(object) \(problem)" + (fingerprint.map { " (key \($0))" } ?? "")
            + "; Roomkeeper reconciles only revisions signed by a key in --allowed-signers or --gpg-keyring. "
            + "Sign the commit with a trusted key (git commit -S), or add the signer's key to the trust file if you trust it"
    }
}
