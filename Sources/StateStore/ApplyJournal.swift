import Foundation
import PortalAPI
import Reconciler

/// A write-ahead record of one apply, one JSON object a line: the run's start, each action when
/// it is about to be sent (`intended`), queued in the portal (`sent`), answered (`confirmed` or
/// `failed`), and the run's end. A run cut off by a crash or Ctrl-C leaves a journal without
/// `finished`; the next apply reports what was in flight, and its fresh plan reads the results
/// back from the portal, so nothing is done twice.
public actor ApplyJournal: ApplyRecorder {
    public struct Entry: Codable, Sendable {
        public var time: Date
        public var plan: String
        public var event: ApplyEvent
        public var action: ActionID?
        public var detail: String?
        /// On the `started` entry: the portal the run works on, as `Portal.endpointDescription` says.
        public var portal: String?
    }

    public let url: URL
    private let planId: String
    private let handle: FileHandle

    /// Opens `folder/<plan id>.jsonl` for appending (a resumed saved plan continues its journal).
    public init(folder: URL, planId: String) throws {
        guard Plan.isWellFormed(id: planId) else { throw CocoaError(.fileWriteInvalidFileName) }
        url = folder.appendingPathComponent("\(planId).jsonl")
        try PrivateFiles.touch(url)
        Self.prune(folder, keeping: url)
        handle = try FileHandle(forUpdating: url)
        // A line a crash cut short is ended, so the next entry starts on a line of its own.
        if try handle.seekToEnd() > 0 {
            try handle.seek(toOffset: handle.offsetInFile - 1)
            if handle.readData(ofLength: 1) != Data("\n".utf8) { try handle.write(contentsOf: Data("\n".utf8)) }
        }
        self.planId = planId
    }

    deinit { try? handle.close() }

    /// Appends an entry. Each line is one `write`, so a killed process leaves whole lines behind.
    public func record(_ event: ApplyEvent, action: ActionID? = nil, detail: String? = nil, portal: String? = nil) {
        let entry = Entry(time: Date(), plan: planId, event: event, action: action, detail: detail, portal: portal)
        guard let line = try? Self.encoder.encode(entry) else { return }
        try? handle.write(contentsOf: line + Data("\n".utf8))
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// Journals in `folder` whose run never finished, oldest first.
    public static func interrupted(in folder: URL) -> [InterruptedRun] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "jsonl" }.compactMap { url -> InterruptedRun? in
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
            // A line cut short by a crash is skipped, not fatal: the lines before it stand.
            let entries = text.split(separator: "\n").compactMap { try? decoder.decode(Entry.self, from: Data($0.utf8)) }
            guard let first = entries.first, !entries.contains(where: { $0.event == .finished }) else { return nil }
            var open: [ActionID: Bool] = [:]
            var confirmed: [ActionID] = []
            for entry in entries {
                guard let action = entry.action else { continue }
                switch entry.event {
                case .intended, .sent: open[action] = true
                case .confirmed:
                    open[action] = nil
                    confirmed.append(action)
                case .failed: open[action] = nil
                case .started, .finished: break
                }
            }
            let start = entries.first { $0.event == .started }
            // Journals written before the portal had a field of its own named it in the start line's detail.
            let portal = start?.portal ?? start?.detail?.range(of: Self.legacyPortalMarker).map { String(start?.detail?[$0.upperBound...] ?? "") }
            return InterruptedRun(
                planId: first.plan, startedAt: start?.time, confirmed: confirmed.count, confirmedActions: confirmed,
                unanswered: open.keys.sorted(), portal: portal, url: url)
        }.sorted { ($0.startedAt ?? .distantPast) < ($1.startedAt ?? .distantPast) }
    }

    /// How many journals a folder keeps: older ones are removed once their run finished (an
    /// unfinished one stays until an apply has reviewed it).
    public static let kept = 100

    /// Removes finished journals beyond the newest `kept`, never `current`.
    static func prune(_ folder: URL, keeping current: URL) {
        let files = ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.contentModificationDateKey])) ?? [])
            .filter { $0.pathExtension == "jsonl" && $0.lastPathComponent != current.lastPathComponent }
        guard files.count >= kept else { return }
        let newestFirst = files.sorted {
            let left = (try? $0.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            let right = (try? $1.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            return left > right
        }
        for file in newestFirst.dropFirst(kept - 1) {
            guard let text = try? String(contentsOf: file, encoding: .utf8), text.contains("\"event\":\"finished\"") else { continue }
            try? FileManager.default.removeItem(at: file)
        }
    }

    /// What preceded the portal's description in the start line's detail of older journals.
    static let legacyPortalMarker = " actions against the "

    /// Marks an interrupted run as reviewed, so it is reported once.
    public static func close(_ interrupted: InterruptedRun, note: String) async throws {
        let journal = try ApplyJournal(folder: interrupted.url.deletingLastPathComponent(), planId: interrupted.planId)
        await journal.record(.finished, detail: note)
    }
}
