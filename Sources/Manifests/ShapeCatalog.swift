/// The document shapes one loader thread checks against: private copies of the shared
/// definitions.
///
/// Shapes are reference-counted values. Threads that share one copy make every field lookup
/// an atomic increment on the same cache line, which cost more than half of the second core in
/// the 20,000-room benchmark; a copy per thread shares nothing.
struct ShapeCatalog {
    let documents: [ManifestKind: ObjectShape]
    let policy: ObjectShape

    init() {
        documents = Dictionary(uniqueKeysWithValues: ManifestKind.allCases.map { ($0, $0.documentShape.copy()) })
        policy = ManifestShapes.policyDocument.copy()
    }
}

extension ObjectShape {
    /// A deep copy that shares no storage with the original.
    func copy() -> ObjectShape {
        ObjectShape(
            title, fields: fields.map { FieldShape($0.name, $0.shape.copy(), required: $0.isRequired, $0.summary) },
            exactlyOneOf: exactlyOneOf.map { $0 })
    }
}

extension Shape {
    /// A deep copy that shares no storage with the original.
    func copy() -> Shape {
        switch self {
        case .string(.oneOf(let values)): .string(.oneOf(values.map { $0 }))
        case .string, .integer, .boolean, .stringMap: self
        case .list(let item, let minimumCount, let unique): .list(item.copy(), minimumCount: minimumCount, unique: unique)
        case .object(let object): .object(object.copy())
        }
    }
}
