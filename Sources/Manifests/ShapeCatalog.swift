/// The document shapes one loader thread checks against, compiled into a table of its own.
///
/// Checking reads the table through borrowed buffers and counts no references, so threads
/// would not contend on a shared one either; a table per thread also keeps each thread's
/// walk in its own memory.
struct ShapeCatalog {
    let table: ShapeTable
    /// Each kind's document shape, as an entry of `table`.
    let documents: [ManifestKind: Int32]
    /// The repository policy document's shape, as an entry of `table`.
    let policy: Int32

    init() {
        var table = ShapeTable()
        documents = Dictionary(uniqueKeysWithValues: ManifestKind.allCases.map { ($0, table.add(.object($0.documentShape))) })
        policy = table.add(.object(ManifestShapes.policyDocument))
        self.table = table
    }
}
