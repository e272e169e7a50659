import PortalAPI

/// Compares the object git wants with the live one, field by field, as the portal means them,
/// and settles what apply will send.
///
/// Values compare by how people read them (`show` returns nil for "unset", so an absent
/// description equals an empty one); lists compare as sets. A field an ignore rule names keeps
/// its live value in `desired`, so apply never overwrites what a person owns in the portal.
struct FieldDiff<Object> {
    private(set) var desired: Object
    private let current: Object?
    private let ignored: Set<String>
    private(set) var changes: [FieldChange] = []

    /// - Parameters:
    ///   - current: the live object; nil when it is to be created (ignore rules then do not apply).
    ///   - ignored: top-level field names (`description`, `scope`) that the policy leaves to people.
    init(desired: Object, current: Object?, ignored: Set<String>) {
        self.desired = desired
        self.current = current
        self.ignored = ignored
    }

    mutating func value<Value>(_ field: String, _ path: WritableKeyPath<Object, Value>, show: (Value) -> String?) {
        guard !keepsLiveValue(field, path) else { return }
        let before = current.flatMap { show($0[keyPath: path]) }
        let after = show(desired[keyPath: path])
        if before != after { changes.append(FieldChange(field: field, before: before, after: after)) }
    }

    mutating func set<Element: Equatable>(_ field: String, _ path: WritableKeyPath<Object, [Element]>, show: (Element) -> String) {
        // The same list in the same order, the common case, needs no sets.
        guard current?[keyPath: path] != desired[keyPath: path], !keepsLiveValue(field, path) else { return }
        let before = Set(current.map { $0[keyPath: path].map(show) } ?? [])
        let after = Set(desired[keyPath: path].map(show))
        let added = after.subtracting(before).sorted()
        let removed = before.subtracting(after).sorted()
        if !added.isEmpty || !removed.isEmpty { changes.append(FieldChange(field: field, added: added, removed: removed)) }
    }

    private mutating func keepsLiveValue<Value>(_ field: String, _ path: WritableKeyPath<Object, Value>) -> Bool {
        guard let current, let topLevel = field.split(separator: ".").first, ignored.contains(String(topLevel)) else { return false }
        desired[keyPath: path] = current[keyPath: path]
        return true
    }
}

extension FieldDiff where Object: OwnedResource {
    /// Carries the manifest's `metadata.protected` onto the portal object.
    mutating func protection(_ protected: Bool) {
        desired.protected = protected ? true : nil
        value("protected", \.protected) { $0 == true ? "true" : nil }
    }
}

/// How plans show values: text as it is, an empty text as unset.
func shown(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
func shown(_ value: some BinaryInteger) -> String? { String(value) }
func shown(_ value: Bool) -> String? { String(value) }
