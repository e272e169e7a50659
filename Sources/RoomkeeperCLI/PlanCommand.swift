import ArgumentParser
import Engine
import Foundation
import PortalAPI
import Reconciler
import Reports

extension Roomkeeper {
    struct PlanCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Show what apply would change in the portal, without changing anything.",
            discussion: """
                Loads the manifests in DIRECTORY, reads the portal, and lists the actions that would \
                bring the portal to what git declares (dependencies first, deletes last), what only a \
                person can fix, and what Roomkeeper leaves alone. Exit 0 no changes, 2 changes, \
                1 error (invalid manifests, an unreachable portal, or a plan that must not be applied).
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

        func run() async throws {
            let style = colorOptions.style
            let engine = try graphOptions.engine()
            let (source, portal) = try await ManifestSource.loadThenOpen(
                folder: directory, source: sourceOptions, portal: portalOptions, style: style, consequence: "no plan was made")
            let plan = try await Planning.plan(
                source, portal: portal, engine: engine, options: planning.planOptions,
                acceptInventoryShrink: planning.acceptInventoryShrink)
            switch format {
            case .json: print(try PlanRenderer.json(plan), terminator: "")
            case .text: print(PlanRenderer(style: style).text(plan), terminator: "")
            case .markdown: print(PlanRenderer.markdown(plan), terminator: "")
            }
            if let out { try PlanRenderer.json(plan).write(toFile: out, atomically: true, encoding: .utf8) }
            if !plan.isApplyable { throw ExitCode.failure }
            if plan.hasChanges { throw ExitCode(2) }
        }
    }
}
