import ArgumentParser
import Engine
import Foundation
import GitSource
import PortalAPI
import PortalClient
import Reconciler
import Reports

extension Roomkeeper {
    struct ApplyCommand: AsyncParsableCommand, LoggingCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Change the portal to match git: plan, confirm, carry out.",
            discussion: """
                With a manifest folder, plans as `plan` does, shows the plan and asks for confirmation \
                (or --auto-approve). With a plan saved by `plan --out FILE`, carries out exactly that \
                plan, and refuses it if the manifests or any object it touches changed since. Holds the \
                portal's reconciler lease throughout, so two applies never run at once. Ends with a \
                done / failed / not attempted table. Exit 0 when every action was done (or there was \
                nothing to do), 1 otherwise. With --graph and no portal, the portal has no API: apply \
                refuses, or with --walk-through takes the checklist step by step and records each step \
                a person confirms, so the next plan lists only what is left.
                """)

        @Argument(help: "The manifest repository folder, or a plan saved with `plan --out`.", completion: .file())
        var source: String = "."

        @OptionGroup var sourceOptions: SourceOptions

        @OptionGroup var portalOptions: PortalOptions

        @OptionGroup var graphOptions: GraphOptions

        @Flag(help: "Apply without asking for confirmation.")
        var autoApprove = false

        @Option(help: "Output format: text, or json for the apply report.")
        var format: OutputOptions.Format = .text

        @OptionGroup var colorOptions: ColorOptions

        @OptionGroup var planning: PlanningOptions

        @Option(help: "Portal writes in flight at once (1 to 64).")
        var concurrency = 8

        @Option(help: "Seconds to wait for a queued device action to complete.")
        var operationTimeout = 300

        @Option(help: "Seconds the reconciler lease lasts unless renewed: how long a crashed apply keeps others out (1 to 3600).")
        var leaseDuration = 120

        @Flag(help: "With --graph and no portal: take the checklist step by step, recording each step confirmed as done in the portal.")
        var walkThrough = false

        @Option(help: "With --walk-through: who confirms the steps, as the record keeps it (else $USER).")
        var confirmedBy: String?

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 64") }
            guard operationTimeout > 0 else { throw ValidationError("--operation-timeout must be positive") }
            guard (1...3600).contains(leaseDuration) else { throw ValidationError("--lease-duration must be from 1 to 3600") }
        }

        func run() async throws {
            let style = colorOptions.style
            if graphOptions.isEnabled(), !portalOptions.isConfigured() { return try await walkThroughChecklist(style: style) }
            if walkThrough { throw ValidationError("--walk-through takes the checklist made with --graph and no portal") }
            let renderer = PlanRenderer(style: style)
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory)
            let saved = exists && !isDirectory.boolValue ? try SavedPlanFile.read(source) : nil
            if saved != nil, !planning.target.isEmpty {
                throw ValidationError("--target shapes a new plan; a saved plan is applied as it is")
            }
            let portalChoice = try portalOptions.choice()
            try graphOptions.refuseRealTenantWrites(with: portalChoice)
            let engine = try graphOptions.engine()
            engine.prefetchReadCache(for: .portal(endpoint: portalChoice.endpointDescription))
            let origin = try saved.map(savedOrigin) ?? sourceOptions.origin(folder: source)
            let manifests = try await ManifestSource.load(
                origin, options: sourceOptions, style: style, consequence: "nothing was applied", forChanges: true)
            let portal = try await portalChoice.open()
            if let saved, saved.portal != portal.endpointDescription {
                throw failure(
                    "the plan was made against \(PortalEndpoint.phrase(saved.portal.terminalSafe)), not \(PortalEndpoint.phrase(portal.endpointDescription)); nothing was applied"
                )
            }

            let interruption = Interruption()
            var signals: SignalWatch?
            let applyRenderer = ApplyRenderer(style: renderer.style)
            let onTerminal = isatty(STDERR_FILENO) == 1 && format == .text
            let format = format
            let outcome: ReconcileOutcome
            do {
                outcome = try await engine.reconcile(
                    on: portal, lease: LeaseTerms(holder: ReconcilerLease.holderName(doing: "apply"), durationSeconds: leaseDuration),
                    options: ApplyOptions(concurrency: concurrency, operationTimeout: .seconds(operationTimeout)),
                    interrupted: Self.reportInterrupted,
                    makePlan: { try await plan(saved: saved, manifests: manifests, portal: portal, engine: engine, renderer: renderer) },
                    approve: { _ in
                        guard saved != nil || autoApprove || confirm(portal) else { return false }
                        // From here on, Ctrl-C finishes the actions in flight and starts no more.
                        signals = SignalWatch(interruption)
                        return true
                    },
                    stopReason: { interruption.reason },
                    progress: { progress in
                        guard format == .text else { return }
                        if onTerminal {
                            if progress.result.outcome == .failed { printError("\r\u{1B}[2K" + applyRenderer.progressLine(progress)) }
                            Console.current.err(applyRenderer.counter(progress), terminator: "")
                        } else {
                            // Piped (CI logs, tee): each line as it happens, not when a buffer fills.
                            Console.current.out(applyRenderer.progressLine(progress))
                            fflush(nil)
                        }
                    })
            } catch let held as LeaseHeldError {
                throw failure("another reconciler is at work: \(held); nothing was applied")
            }
            signals?.stop()
            switch outcome {
            case .refused:
                throw failure("the plan must not be applied as it is (see the errors and refusals above); nothing was applied")
            case .nothingToDo(let plan):
                if format == .json { Console.current.out(try ApplyRenderer.json(emptyReport(plan, portal)), terminator: "") }
            case .declined:
                throw failure("apply cancelled; nothing was applied")
            case .applied(_, let report):
                if onTerminal { Console.current.err("\r\u{1B}[2K", terminator: "") }
                switch format {
                case .json: Console.current.out(try ApplyRenderer.json(report), terminator: "")
                case .text:
                    Console.current.out(applyRenderer.summary(report), terminator: "")
                    let counts = portal.transportCounts
                    if counts.retried > 0 {
                        var note = "The portal client retried \(counts.retried) requests (throttling, server errors or lost connections)"
                        if counts.confirmedAfterLostAnswer > 0 {
                            note += "; \(counts.confirmedAfterLostAnswer) writes whose answer was lost were confirmed by reading them back"
                        }
                        Console.current.out(note + ".")
                    }
                }
                if !report.succeeded { throw ExitCode.failure }
            }
        }

        /// The plan to apply, printed: the saved one, checked afresh against the manifests and
        /// the portal, or a new one.
        private func plan(saved: Plan?, manifests: ManifestSnapshot, portal: any Portal, engine: Engine, renderer: PlanRenderer) async throws -> Plan
        {
            guard let saved else {
                let plan = try await Planning.plan(
                    manifests, portal: portal, engine: engine, options: planning.planOptions, acceptInventoryShrink: planning.acceptInventoryShrink)
                if format == .text { Console.current.out(renderer.text(plan), terminator: "") }
                return plan
            }
            if format == .text {
                Console.current.out(
                    "Roomkeeper apply of the plan saved in \(source.terminalSafe) for \(saved.source.terminalSafe), "
                        + "made \(ISO8601DateFormatter().string(from: saved.createdAt)), to \(PortalEndpoint.phrase(portal.endpointDescription))")
            }
            return try await recheck(saved, manifests: manifests, portal: portal, engine: engine, renderer: renderer)
        }

        /// Where a saved plan's manifests are read again: the source the operator configured, never
        /// one the plan file names (credentials go only where the operator said). A plan made from
        /// git needs `--source` with the same remote; the commit comes from the plan.
        private func savedOrigin(_ plan: Plan) throws -> SourceOrigin {
            guard let recorded = plan.origin?.git else {
                guard sourceOptions.gitURL == nil else {
                    throw CommandFailure("the plan was made from the folder \(plan.source.terminalSafe), not from --source; leave out --source")
                }
                return .folder(plan.source)
            }
            guard let configured = sourceOptions.gitURL else {
                throw CommandFailure(
                    "the plan was made from \(recorded.url.terminalSafe); pass the same remote with --source (its credentials come from your environment)"
                )
            }
            guard redactedURL(configured) == recorded.url, recorded.path == sourceOptions.path else {
                throw CommandFailure(
                    "the plan was made from \(recorded.url.terminalSafe) (path '\(recorded.path.terminalSafe)'), not from the configured "
                        + "\(redactedURL(configured)) (path '\(sourceOptions.path)'); nothing was applied")
            }
            guard let commit = recorded.commit, GitSource.isCommitId(commit) else {
                throw CommandFailure("the plan names no commit of \(recorded.url.terminalSafe); run plan again")
            }
            return .git(GitOrigin(url: configured, ref: commit, path: sourceOptions.path))
        }

        /// A saved plan is applied only while it still describes the manifests and the portal, only
        /// with actions the planner makes for those manifests now, and never on its own verdict: the
        /// file's blockers and findings are replaced by the guards' and the planner's, judged afresh
        /// (the deletion guard unless --allow-mass-delete, the inventory guard unless
        /// --accept-inventory-shrink, the lock-out guards always). Returns the plan to apply.
        private func recheck(_ saved: Plan, manifests: ManifestSnapshot, portal: any Portal, engine: Engine, renderer: PlanRenderer) async throws
            -> Plan
        {
            if let revision = saved.sourceRevision, revision != manifests.revision {
                throw failure(
                    "the manifests in \(manifests.description) changed since the plan was made (\(revision), now \(manifests.revision)); "
                        + "run plan again and review it. Nothing was applied")
            }
            let (fresh, live) = try await Planning.planReading(
                manifests, portal: portal, engine: engine, options: PlanOptions(allowMassDelete: true),
                acceptInventoryShrink: planning.acceptInventoryShrink)
            let problems = PlanFreshness.problems(saved, live: live)
            guard problems.isEmpty else {
                for problem in problems { printError("roomkeeper: error: \(problem)") }
                throw failure(
                    "the saved plan is stale: \(problems.count) object\(problems.count == 1 ? "" : "s") it touches changed; "
                        + "run plan again and review it. Nothing was applied")
            }
            let unexplained = PlanFreshness.unexplained(saved, fresh: fresh)
            guard unexplained.isEmpty else {
                for action in unexplained.prefix(20) {
                    printError("roomkeeper: error: '\(action.id.description.terminalSafe)' is not an action the manifests produce")
                }
                throw failure(
                    "the saved plan holds \(unexplained.count) action\(unexplained.count == 1 ? "" : "s") its manifests do not produce "
                        + "(the file was edited); run plan again and review it. Nothing was applied")
            }
            var plan = saved
            plan.findings = fresh.findings
            plan.blockers =
                fresh.blockers.filter(\.isInventoryShrink)
                + Planner.blockers(
                    for: saved.actions, declared: manifests.manifests, live: live, options: PlanOptions(allowMassDelete: planning.allowMassDelete))
            if !plan.isApplyable, format == .text {
                Console.current.out(renderer.findings(plan.findings.filter { $0.severity == .error }), terminator: "")
                Console.current.out(renderer.refusals(plan.blockers), terminator: "")
            }
            return plan
        }

        private func confirm(_ portal: any Portal) -> Bool {
            Console.current.out("Apply these actions to \(PortalEndpoint.phrase(portal.endpointDescription))? Only 'yes' is accepted.")
            Console.current.out("  Enter a value: ", terminator: "")
            fflush(nil)  // every stream: the prompt must show before the read
            guard let answer = readLine() else {
                printError("\nroomkeeper: no answer on standard input; pass --auto-approve to apply without one")
                return false
            }
            return answer.trimmingCharacters(in: .whitespaces) == "yes"
        }

        private static func reportInterrupted(_ runs: [InterruptedRun]) {
            for run in runs {
                var note = "note: an earlier apply (plan \(run.planId)) was cut off after \(run.confirmed) confirmed actions"
                if !run.unanswered.isEmpty {
                    note +=
                        "; \(run.unanswered.count) were sent without an answer (\(run.unanswered.prefix(5).map(\.description).joined(separator: ", "))"
                        + (run.unanswered.count > 5 ? ", ..." : "") + ")"
                }
                printError(note + ". This run reads their results back from the portal, so nothing is done twice.")
            }
        }

        private func emptyReport(_ plan: Plan, _ portal: any Portal) -> ApplyReport {
            ApplyReport(planId: plan.id, portal: portal.endpointDescription, startedAt: Date(), finishedAt: Date(), results: [], stoppedBecause: nil)
        }

        private func failure(_ message: String) -> CommandFailure { CommandFailure(message) }
    }
}

/// Reads a plan saved by `plan --out`, bounded in size.
enum SavedPlanFile {
    static func read(_ path: String) throws -> Plan {
        let data: Data
        do {
            data = try FileHandle.readBounded(path: path, limit: SavedPlan.maximumBytes)
        } catch CocoaError.fileReadTooLarge {
            throw CommandFailure("\(path) is larger than any saved plan (\(SavedPlan.maximumBytes >> 20) MiB)")
        } catch {
            throw CommandFailure(SavedPlanError.notAPlan.message(path: path))
        }
        do {
            return try SavedPlan.decode(data)
        } catch {
            throw CommandFailure(error.message(path: path))
        }
    }
}

extension Roomkeeper.ApplyCommand {
    /// With no portal API: refuses, or with --walk-through shows each open step and records the
    /// ones a person confirms as done. Exit 0 when none is left, 2 when some are.
    fileprivate func walkThroughChecklist(style: TerminalStyle) async throws {
        let engine = try graphOptions.engine()
        let snapshot = try await ManifestSource.load(
            sourceOptions.origin(folder: source), options: sourceOptions, style: style, consequence: "nothing was recorded")
        let run = try await Planning.reporting { try await engine.checklist(snapshot) }
        guard walkThrough else {
            throw CommandFailure(
                "the portal has no API, so its \(run.checklist.steps.count) checklist steps are for a person: "
                    + "`roomkeeper plan --graph` lists them; run apply --graph --walk-through to confirm them one by one as you do them. "
                    + "Nothing was changed")
        }
        guard run.plan.isApplyable else {
            throw CommandFailure("the manifests have errors against the tenant's directory (see roomkeeper plan --graph); nothing was recorded")
        }
        let person = confirmedBy ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        var left = run.checklist.steps.count
        let numbers = Dictionary(run.checklist.steps.map { ($0.id, $0.number) }, uniquingKeysWith: { first, _ in first })
        Console.current.out("\(ChecklistRenderer.summary(run.checklist)) Do each in the portal, then confirm it here.\n")
        for step in run.checklist.steps {
            Console.current.out(ChecklistRenderer.text(step, after: step.after.compactMap { numbers[$0] }.sorted(), style: style), terminator: "")
            Console.current.out("Done in the portal? [y]es, [s]kip, [q]uit: ", terminator: "")
            let answer = try await offCooperativePool { readLine(strippingNewline: true) }?.lowercased()
            if answer == "q" || answer == nil { break }
            guard answer == "y" || answer == "yes" else { continue }
            try await engine.confirm(step, by: person)
            left -= 1
        }
        Console.current.out(
            "\n" + (left == 0 ? "Every step is confirmed." : "\(left) step\(left == 1 ? "" : "s") left: roomkeeper plan --graph lists them."))
        if left > 0 { throw ExitCode(2) }
    }
}
