import Foundation
import TestSupport
import Testing

/// The console in a real browser: headless Chromium, driven through chromedriver by Selenium,
/// against `roomkeeper controller --console-url` and `roomkeeper graph serve` as separate
/// processes; axe-core's rules run on every page.
@Suite("The web console in Chromium")
struct ConsoleBrowserTests {
    static let clientId = "2f9e8d7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b"
    static let adminToken = "console-admin-token"

    /// Chromium and its driver are installed (Selenium and axe come with the checkers).
    static var canRun: Bool {
        Checkers.find("chromedriver") != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    }

    @Test(
        "Sign in through the emulator's Entra page, open every page (no serious or critical axe violation), confirm a step and see plan --graph leave it out; a viewer cannot change anything; a cross-site post is refused",
        .enabled(if: Checkers.required || canRun, Comment(rawValue: Checkers.reason)))
    func browser() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let secrets = workspace.state.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        let secret = "console-app-secret-\(UUID().uuidString)"
        try secret.write(to: secrets.appendingPathComponent("app-secret"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secrets.appendingPathComponent("app-secret").path)
        let port = try freeLoopbackPort()
        let origin = "http://127.0.0.1:\(port)"

        let (graph, graphURL, tenant) = try await serveGraph(
            workspace, clientId: Self.clientId, secretFile: secrets.appendingPathComponent("app-secret"),
            extra: [
                "--redirect-uri", "\(origin)/console/callback", "--app-role", "megan.bowen@contoso.com=Roomkeeper.Operator", "--app-role",
                "alex.wilber@contoso.com=Roomkeeper.Viewer",
            ])
        defer { Task { _ = try? await graph.terminate() } }

        var environment = workspace.environment
        environment["ROOMKEEPER_PORTAL_URL"] = nil
        environment.merge(
            [
                "AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": Self.clientId, "AZURE_CLIENT_SECRET": secret, "AZURE_AUTHORITY_HOST": graphURL,
                "ROOMKEEPER_GRAPH_ENDPOINT": graphURL, "ROOMKEEPER_ADMIN_TOKEN": Self.adminToken,
            ], uniquingKeysWith: { _, new in new })
        let controller = try BackgroundProcess(
            Roomkeeper.executable,
            [
                "controller", workspace.repository.path, "--graph", "--listen", "127.0.0.1:\(port)", "--console-url", origin, "--log-format", "json",
            ], environment: environment)
        defer { Task { _ = try? await controller.terminate() } }
        _ = try #require(try await controller.line(containing: "controller listening on"), "\(controller.printed)")
        // The first pass, which makes the checklist.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let status = try await httpRequest("GET", "\(origin)/status", headers: ["Authorization": "Bearer \(Self.adminToken)"])
            let object = try? JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any]
            if (object?["reconciles"] as? Int ?? 0) > 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        // Without a portal: the terminal's plan of the same checklist, from the controller's state folder.
        func plan() async throws -> ProcessResult {
            try await runProcess(
                Roomkeeper.executable, ["plan", workspace.repository.path, "--graph"], environment: environment, in: workspace.state)
        }
        let before = try await plan()
        let stepsBefore = try #require(Self.steps(in: before.output), "\(before.output)\(before.errors)")

        let screenshots = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-console-shots")
        try? FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let result = try await runProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", "-c", Self.script, origin, graphURL, "megan.bowen@contoso.com", "alex.wilber@contoso.com", screenshots.path],
            environment: ProcessInfo.processInfo.environment, in: workspace.state)
        let outcome = try #require(
            try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)\n\(result.errors)")
        #expect(outcome["signedIn"] as? Bool == true, "\(outcome)")
        #expect((outcome["pages"] as? [String])?.count == 8, "\(outcome)")
        #expect(outcome["filtered"] as? Bool == true, "\(outcome)")
        #expect((outcome["phoneOverflow"] as? [String])?.isEmpty == true, "wider than a phone: \(outcome["phoneOverflow"] ?? "")")
        #expect((outcome["violations"] as? [[String: Any]])?.isEmpty == true, "axe: \(outcome["violations"] ?? "")")
        #expect(outcome["confirmed"] as? Bool == true, "\(outcome)")
        #expect(outcome["viewerSeesNoChanges"] as? Bool == true, "\(outcome)")
        #expect(outcome["crossSiteRefused"] as? Bool == true, "\(outcome)")
        #expect(outcome["stillRunning"] as? Bool == true, "\(outcome)")

        // The terminal's next plan --graph (same state folder) leaves the confirmed step out.
        let after = try await plan()
        #expect(Self.steps(in: after.output) == stepsBefore - 1, "\(after.output)")
        #expect(after.output.contains("1 confirmed earlier"), "\(after.output)")
    }

    /// The count in the plan's "Checklist: N steps in the portal" line.
    static func steps(in output: String) -> Int? {
        guard let range = output.range(of: "Checklist: ") else { return nil }
        return Int(output[range.upperBound...].prefix { $0.isNumber })
    }

    private static let script = #"""
        import json, os, sys, tempfile
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        from axe_selenium_python import Axe

        origin, graph, operator, viewer, shots = sys.argv[1:6]
        result = {"pages": [], "violations": []}

        def browser():
            options = Options()
            options.binary_location = "/usr/bin/chromium"
            for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                             "--user-data-dir=" + tempfile.mkdtemp(prefix="roomkeeper-chromium-")]:
                options.add_argument(argument)
            return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)

        def wait(driver, condition):
            WebDriverWait(driver, 60).until(condition)

        def sign_in(driver, user):
            driver.get(origin + "/console")
            wait(driver, lambda d: d.find_elements(By.ID, "username"))
            driver.find_element(By.ID, "username").send_keys(user)
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait(driver, lambda d: d.current_url.startswith(origin + "/console") and "Roomkeeper" in d.title)

        def check(driver, name):
            driver.save_screenshot(os.path.join(shots, "console-" + name + ".png"))
            axe = Axe(driver)
            axe.inject()
            found = axe.run()
            for violation in found["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    result["violations"].append({"page": name, "id": violation["id"], "impact": violation["impact"],
                                                 "help": violation["help"], "nodes": [n["target"] for n in violation["nodes"]][:5]})
            result["pages"].append(name)

        operator_browser = browser()
        try:
            sign_in(operator_browser, operator)
            result["signedIn"] = "Megan Bowen (operator)" in operator_browser.page_source
            check(operator_browser, "overview")
            operator_browser.get(origin + "/console/tenants/default")
            check(operator_browser, "tenant")
            operator_browser.get(origin + "/console/tenants/default/drift")
            check(operator_browser, "drift")
            operator_browser.get(origin + "/console/tenants/default/plan")
            check(operator_browser, "plan")
            operator_browser.get(origin + "/console/tenants/default/access")
            check(operator_browser, "access")
            everyone = operator_browser.page_source
            operator_browser.find_element(By.ID, "filter").send_keys("alex")
            operator_browser.find_element(By.XPATH, "//button[text()='Filter']").click()
            wait(operator_browser, lambda d: "q=alex" in d.current_url)
            # Alex holds Teams Administrator and Lee Global Reader in the example directory.
            result["filtered"] = ("lee.gu@contoso.com" in everyone and "alex.wilber@contoso.com" in operator_browser.page_source
                                  and "lee.gu@contoso.com" not in operator_browser.page_source)
            operator_browser.get(origin + "/console/tenants/default/checklist")
            check(operator_browser, "checklist")
            operator_browser.find_element(By.LINK_TEXT, "Walk through the steps one at a time").click()
            check(operator_browser, "step")
            first = operator_browser.current_url
            operator_browser.find_element(By.XPATH, "//button[text()='Done in the portal']").click()
            wait(operator_browser, lambda d: d.current_url != first)
            result["confirmed"] = operator_browser.current_url.startswith(origin + "/console/tenants/default/checklist/") and not operator_browser.current_url.endswith("/done") and "Step 2 of" in operator_browser.page_source
            result["afterDone"] = operator_browser.current_url + " " + operator_browser.find_element(By.TAG_NAME, "main").text[:300]
            # On a phone: no page is wider than the screen (wide tables scroll in their own box).
            operator_browser.set_window_size(390, 844)
            result["phoneOverflow"] = []
            for path in ["", "/tenants/default", "/tenants/default/plan", "/tenants/default/access", "/tenants/default/checklist"]:
                operator_browser.get(origin + "/console" + path)
                if operator_browser.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1"):
                    result["phoneOverflow"].append(path)
            operator_browser.save_screenshot(os.path.join(shots, "console-phone.png"))
            operator_browser.set_window_size(1280, 1000)
            operator_browser.get(origin + "/console/tenants/default")
            csrf = operator_browser.find_element(By.NAME, "csrf").get_attribute("value")
            # Another origin (the emulator's port) posts to the console with the right token and the
            # session cookie (same site): the console refuses it for its Origin.
            operator_browser.get(graph + "/" + "common/v2.0/.well-known/openid-configuration")
            operator_browser.execute_script(
                "var f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
                "var i = document.createElement('input'); i.name = 'csrf'; i.value = arguments[1]; f.appendChild(i);"
                "document.body.appendChild(f); f.submit();", origin + "/console/tenants/default/suspend", csrf)
            wait(operator_browser, lambda d: d.current_url.startswith(origin))
            result["crossSiteRefused"] = "Refused" in operator_browser.page_source
            operator_browser.get(origin + "/console/tenants/default")
            result["stillRunning"] = "Suspended" not in operator_browser.find_element(By.CLASS_NAME, "state").text
        finally:
            operator_browser.quit()

        viewer_browser = browser()
        try:
            sign_in(viewer_browser, viewer)
            viewer_browser.get(origin + "/console/tenants/default")
            buttons = [b.text for b in viewer_browser.find_elements(By.TAG_NAME, "button")]
            viewer_browser.get(origin + "/console/tenants/default/checklist")
            buttons += [b.text for b in viewer_browser.find_elements(By.TAG_NAME, "button")]
            result["viewerSeesNoChanges"] = set(buttons) == {"Sign out"}
            viewer_browser.get(graph + "/" + "common/v2.0/.well-known/openid-configuration")
            viewer_browser.get(origin + "/console/signin")
            wait(viewer_browser, lambda d: d.find_elements(By.ID, "username"))
            check(viewer_browser, "sign-in")
        finally:
            viewer_browser.quit()
        print(json.dumps(result))
        """#
}
