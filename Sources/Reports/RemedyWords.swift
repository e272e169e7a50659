import Reconciler

/// A drift item's remedies as commands and snippets a person can use as they are.
public struct RemedyWords: Sendable, Equatable {
    /// `roomkeeper apply --target 'KIND/NAME'`, when apply can put the portal back.
    public var revert: String?
    /// `roomkeeper export --select 'KIND/NAME' --into .`, when git can take the portal's value.
    public var adopt: String?
    /// The line to add under `spec.snooze` in roomkeeper.yaml.
    public var snooze: String?
    /// What a person must do by hand.
    public var byHand: String?

    /// The command-line words for `item`'s remedies.
    public init(_ item: DriftItem) {
        let target = Self.shellQuoted(item.target.description)
        revert = item.remedies.canRevert ? "roomkeeper apply --target \(target)" : nil
        adopt = item.remedies.canAdopt ? "roomkeeper export --select \(target) --into ." : nil
        let quoted = item.target.description.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        snooze = item.remedies.snoozeUntil.map { "- {target: \"\(quoted)\", until: \($0), reason: \"why it can wait\"}" }
        byHand = item.remedies.byHand
    }

    /// Text as one word for a POSIX shell, whatever it holds.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
