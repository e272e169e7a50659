import ArgumentParser
import Engine
import Foundation
import PortalAPI
import Reconciler
import Reports

extension Roomkeeper {
    struct PlanCommand: AsyncParsableCommand, LoggingCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Show what apply would change in the portal, without changing anything.",
            discussion: """
                Loads the manifests in DIRECTORY, reads the portal, and lists the actions that would \
                bring the portal to what git declares (dependencies first, deletes last), what only a \
                person can fix, and what Roomkeeper leaves alone. With --graph and no portal, lists \
                the steps a person takes in the portal instead (a checklist; the portal has no \
                API). Exit 0 no changes, 2 changes (or steps), 1 error (invalid manifests, an \
                unreachable portal or directory, or a plan that must not be applied).
                """)

        @Argument(help: "The manifest repository folder.", completion: .directory)
        var directory: String = "."

        @OptionGroup var sourceOptions: SourceOptions

        @OptionGroup var portalOptions: PortalOptions

        @OptionGroup var graphOptions: GraphOptions

        @Option(help: "Output format: text, json, or markdown (for a pull request comment).")
        var format: OutputOptions.PlanFormat = .text

        @OptionGroup var colorOptions: ColorOptions

        @Option(help: "Also save the plan as JSON to this file.")
        var out: String?

        @OptionGroup var planning: PlanningOptions

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let style = colorOptions.style
            let engine = try graphOptions.engine()
            if graphOptions.isEnabled(), !portalOptions.isConfigured() { return try await checklist(engine, style: style) }
            let (source, portal) = try await ManifestSource.loadThenOpen(
                folder: directory, source: sourceOptions, portal: portalOptions, engine: engine, style: style, consequence: "no plan was made")
            let plan = try await Planning.plan(
                source, portal: portal, engine: engine, options: planning.planOptions,
                acceptInventoryShrink: planning.acceptInventoryShrink)
            switch format {
            case .json: Console.current.out(try PlanRenderer.json(plan), terminator: "")
            case .text: Console.current.out(PlanRenderer(style: style).text(plan), terminator: "")
            case .markdown: Console.current.out(PlanRenderer.markdown(plan), terminator: "")
            }
            if let out { try PrivateFiles.write(Data(try SavedPlan.encode(plan).utf8), to: URL(fileURLWithPath: out), privateFolder: false) }
            if !plan.isApplyable { throw ExitCode.failure }
            if plan.hasChanges { throw ExitCode(2) }
        }

        /// With no portal API: the checklist of portal steps, and the directory's findings.
        private func checklist(_ engine: Engine, style: TerminalStyle) async throws {
            let snapshot = try await ManifestSource.load(
                sourceOptions.origin(folder: directory), options: sourceOptions, style: style, consequence: "no checklist was made")
            let run = try await Planning.reporting { try await engine.checklist(snapshot, acceptInventoryShrink: planning.acceptInventoryShrink) }
            ProcessMemory.keepUntilExit(engine, snapshot, run)
            let tenant = engine.directory?.directoryDescription ?? "the tenant's directory"
            switch format {
            case .json: Console.current.out(try ChecklistRenderer.json(run.checklist, plan: run.plan, directory: tenant), terminator: "")
            case .text: Console.current.out(ChecklistRenderer.text(run.checklist, plan: run.plan, directory: tenant, style: style), terminator: "")
            case .markdown: Console.current.out(ChecklistRenderer.markdown(run.checklist, plan: run.plan, directory: tenant), terminator: "")
            }
            if let out {
                try PrivateFiles.write(
                    Data(try ChecklistRenderer.json(run.checklist, plan: run.plan, directory: tenant).utf8), to: URL(fileURLWithPath: out),
                    privateFolder: false)
            }
            if !run.plan.isApplyable { throw ExitCode.failure }
            if !run.checklist.steps.isEmpty { throw ExitCode(2) }
        }
    }
}
