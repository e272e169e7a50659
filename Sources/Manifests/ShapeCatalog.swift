/// The document shapes one loader thread checks against, compiled into a table of its own.
///
/// Checking reads the table through borrowed buffers and counts no references, so threads
/// would not contend on a shared one either; a table per thread also keeps each thread's
/// walk in its own memory.
struct ShapeCatalog {
    let table: ShapeTable
    /// Each kind's name and document shape, as an entry of `table`.
    private let documents: [(name: String, kind: ManifestKind, entry: Int32)]
    /// The repository policy document's shape, as an entry of `table`.
    let policy: Int32

    init() {
        var table = ShapeTable()
        documents = ManifestKind.allCases.map { ($0.rawValue, $0, table.add(.object($0.documentShape))) }
        policy = table.add(.object(ManifestShapes.policyDocument))
        self.table = table
    }

    /// The kind a document's `kind` names, and its shape; nil for an unknown kind. A look along
    /// five small strings, cheaper per document than a string switch and a hash table.
    func document(ofKind name: String) -> (kind: ManifestKind, entry: Int32)? {
        for index in documents.indices where documents[index].name == name { return (documents[index].kind, documents[index].entry) }
        return nil
    }
}
