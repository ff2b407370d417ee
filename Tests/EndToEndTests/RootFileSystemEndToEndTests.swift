import Foundation
import SecretsmithTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The release binary of `make dist` needs nothing but the C library, and runs in the root
/// file system deploy/docker/Dockerfile ships: scripts/rootfs.sh builds that tree from
/// deploy/rootfs.files, and the binary runs `chroot`ed into it as the image's non-root user
/// (65532), reaching the emulator (started outside, by the host's build) over loopback.
///
/// `dist/secretsmith` is built once (`make test` runs `make dist` first; a test run without
/// it runs `make dist` itself). `chroot` needs root: without it the chroot tests are skipped,
/// each saying so.
@Suite(.serialized) struct RootFileSystemEndToEndTests {
    /// The shared libraries of the C library, the only ones `dist/secretsmith` may need.
    static let cLibrary: Set<String> = [
        "linux-vdso.so.1", "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libpthread.so.0",
        "libdl.so.2", "librt.so.1", "libutil.so.1",
    ]

    @Test func distBinaryNeedsOnlyTheCLibraryAndIsStrippedWithItsChecksum() throws {
        let binary = try DistBinary.path()
        let ldd = try DeployTools.run(["/usr/bin/ldd", binary])
        #expect(ldd.status == 0, "\(ldd.stderr)")
        let libraries = DistBinary.libraries(inLddOutput: ldd.stdoutText)
        let names = Set(libraries.map { ($0 as NSString).lastPathComponent })
        #expect(names.contains("libc.so.6"), "ldd lists the C library: \(ldd.stdoutText)")
        #expect(names.subtracting(Self.cLibrary).isEmpty, "only the C library is linked dynamically: \(ldd.stdoutText)")

        let sections = try DeployTools.run(["/usr/bin/readelf", "--section-headers", "--wide", binary])
        #expect(sections.status == 0)
        #expect(!sections.stdoutText.contains(".symtab"), "the binary is stripped")

        let check = try DeployTools.run(
            ["/usr/bin/sha256sum", "--check", "secretsmith.sha256"],
            in: DeployTools.packageRoot.appendingPathComponent("dist"))
        #expect(check.status == 0, "dist/secretsmith.sha256 matches: \(check.stdoutText) \(check.stderr)")
    }

    @Test func theRootFileSystemHoldsExactlyTheList() throws {
        let workspace = try Workspace()
        let root = try RootFileSystem.build(in: workspace)
        let entries = try RootFileSystem.listEntries()
        var expected = Set<String>()
        for entry in entries {
            var path = entry.path
            while path != "/" && !path.isEmpty {
                expected.insert(path)
                path = (path as NSString).deletingLastPathComponent
            }
        }
        var found = Set<String>()
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String { found.insert("/" + relative) }
        #expect(found == expected, "extra: \(found.subtracting(expected).sorted()), missing: \(expected.subtracting(found).sorted())")

        for entry in entries {
            var status = stat()
            #expect(stat(root + entry.path, &status) == 0, "\(entry.path) exists")
            #expect(status.st_mode & 0o7777 == entry.mode, "\(entry.path) has mode \(String(entry.mode, radix: 8))")
            if geteuid() == 0 {
                #expect("\(status.st_uid):\(status.st_gid)" == entry.owner, "\(entry.path) is owned by \(entry.owner)")
            }
        }
        let passwd = try String(contentsOfFile: root + "/etc/passwd", encoding: .utf8)
        #expect(passwd.contains("nonroot:x:65532:65532:"), "the image's user is nonroot (65532)")
    }

    /// Without /proc the Swift runtime cannot read the arguments: secretsmith must fail
    /// loudly, not print the usage and exit 0 (a `render` that renders nothing).
    @Test func withoutProcTheBinaryRefusesToRunInsteadOfIgnoringItsArguments() throws {
        let workspace = try Workspace()
        let root = try RootFileSystem.build(in: workspace)
        let chrooted = try RootFileSystem.chroot(root, ["/usr/local/bin/secretsmith", "version"], mountProc: false)
        #expect(chrooted.status == 71, "\(chrooted.stdoutText) \(chrooted.stderr)")
        #expect(chrooted.stderr.contains("/proc is not mounted"), "\(chrooted.stderr)")
    }

    @Test func versionRunsChrootedAsTheNonRootUser() throws {
        let workspace = try Workspace()
        let root = try RootFileSystem.build(in: workspace)
        let chrooted = try RootFileSystem.chroot(root, ["/usr/local/bin/secretsmith", "version"])
        #expect(chrooted.status == 0, "\(chrooted.stderr)")
        let host = try DeployTools.run([CommandRunner.binary, "version"])
        #expect(chrooted.stdoutText == host.stdoutText, "the release binary reports the same version")
        #expect(chrooted.stdoutText.hasPrefix("secretsmith "))
    }

    @Test func renderRunsChrootedAgainstTheEmulatorOverLoopback() throws {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "password", value: "pw-\(CommandRunner.sentinel)")
        seed.add(project: "acme-app-dev", secret: "api-key", value: "key-\(CommandRunner.sentinel)")
        try workspace.write("seed.yaml", seed.yaml)
        let root = try RootFileSystem.build(in: workspace)
        // The configuration and its template inside the root file system; the outputs go
        // to /tmp, the one directory the non-root user may write.
        try workspace.write(
            "rootfs/etc/secretsmith/secretsmith.yaml",
            """
            version: 1
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    secrets: { password: {}, api-key: {} }
            outputs:
              - name: env
                format: dotenv
                path: /tmp/out/app.env
                values: { PASSWORD: app/password }
              - name: conf
                format: template
                template: app.conf.tmpl
                path: /tmp/out/app.conf
                mode: "0640"

            """)
        try workspace.write("rootfs/etc/secretsmith/app.conf.tmpl", "api_key = << secret \"app/api-key\" >>\n")

        try withEmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace) { emulator in
            let result = try RootFileSystem.chroot(
                root,
                ["/usr/local/bin/secretsmith", "render", "--config", "/etc/secretsmith/secretsmith.yaml", "--env", "dev"],
                environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
            #expect(result.status == 0, "\(result.stdoutText) \(result.stderr)")
            #expect(!result.stderr.contains(CommandRunner.sentinel) && !result.stdoutText.contains(CommandRunner.sentinel))

            let env = try String(contentsOfFile: root + "/tmp/out/app.env", encoding: .utf8)
            #expect(env == "PASSWORD='pw-\(CommandRunner.sentinel)'\n")
            let conf = try String(contentsOfFile: root + "/tmp/out/app.conf", encoding: .utf8)
            #expect(conf == "api_key = key-\(CommandRunner.sentinel)\n")
            var status = stat()
            #expect(stat(root + "/tmp/out/app.env", &status) == 0)
            #expect(status.st_uid == 65532 && status.st_mode & 0o777 == 0o600, "written by nonroot, mode 0600")
            #expect(stat(root + "/tmp/out/app.conf", &status) == 0)
            #expect(status.st_mode & 0o777 == 0o640)
        }
    }

    @Test func theDockerfileShipsExactlyTheTreeTheScriptBuilds() throws {
        let text = try String(
            contentsOf: DeployTools.packageRoot.appendingPathComponent("deploy/docker/Dockerfile"), encoding: .utf8)
        let instructions = Dockerfile.instructions(text)
        let stages = Dockerfile.stages(instructions)
        #expect(stages.count == 2, "a build stage and the image")
        guard stages.count == 2 else { return }
        let (build, image) = (stages[0], stages[1])

        #expect(build.first?.arguments.hasPrefix("swift:6.") == true, "built with Swift 6: \(build.first?.arguments ?? "")")
        #expect(build.first?.arguments.hasSuffix(" AS build") == true)
        let buildRuns = build.filter { $0.keyword == "RUN" }.map(\.arguments).joined(separator: "\n")
        #expect(buildRuns.contains("make dist && scripts/rootfs.sh /rootfs"), "the build stage runs make dist and the script")

        #expect(image.first?.arguments == "scratch", "nothing under the tree but the tree")
        let copies = image.filter { $0.keyword == "COPY" || $0.keyword == "ADD" }
        #expect(copies.map(\.arguments) == ["--from=build /rootfs/ /"], "the image copies the script's tree and nothing else")
        #expect(!image.contains { $0.keyword == "RUN" }, "the image has no shell to run anything with")
        #expect(image.contains { $0.keyword == "USER" && $0.arguments == "65532:65532" }, "non-root")

        let entrypoint = try #require(image.last { $0.keyword == "ENTRYPOINT" }).arguments
        let form = try JSONSerialization.jsonObject(with: Data(entrypoint.utf8)) as? [String]
        #expect(form == ["/usr/local/bin/secretsmith"], "exec form, no shell: \(entrypoint)")
        let listed = try RootFileSystem.listEntries().map(\.path)
        #expect(listed.contains("/usr/local/bin/secretsmith"), "the entrypoint is in the list")
        #expect(listed.contains("/home/nonroot/") || listed.contains("/home/nonroot"), "WORKDIR exists in the tree")

        // The files the list takes from the repository reach the build context.
        let ignored = try String(
            contentsOf: DeployTools.packageRoot.appendingPathComponent(".dockerignore"), encoding: .utf8
        ).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for entry in try RootFileSystem.listEntries() where !entry.source.hasPrefix("/") && entry.source != "-" {
            let top = String(entry.source.split(separator: "/")[0])
            if entry.source == "dist/secretsmith" {
                #expect(ignored.contains("dist/"), "a local dist/ never enters the context: the stage builds its own")
            } else {
                #expect(!ignored.contains("\(top)/") && !ignored.contains(top), "\(entry.source) is in the build context")
            }
        }
    }
}

/// `dist/secretsmith`, built by `make dist` when it is missing.
enum DistBinary {
    static let directory = DeployTools.packageRoot.appendingPathComponent("dist")

    /// The path of `dist/secretsmith`; runs `make dist` first when it does not exist.
    static func path() throws -> String {
        let binary = directory.appendingPathComponent("secretsmith").path
        if !FileManager.default.isExecutableFile(atPath: binary) {
            let make = try DeployTools.run(["/usr/bin/make", "--no-print-directory", "dist"])
            if make.status != 0 {
                throw MakeDistFailed(output: String((make.stdoutText + make.stderr).suffix(4000)))
            }
        }
        return binary
    }

    /// The paths (or, for the vDSO, names) of the shared libraries `ldd` printed.
    static func libraries(inLddOutput output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if fields.count >= 3, fields[1] == "=>" { return fields[2].hasPrefix("/") ? fields[2] : fields[0] }
            return fields.first
        }
    }

    struct MakeDistFailed: Error, CustomStringConvertible {
        var output: String
        var description: String { "make dist failed:\n\(output)" }
    }
}

/// scripts/rootfs.sh and `chroot`.
enum RootFileSystem {
    struct Entry {
        var path: String
        var mode: UInt32
        var owner: String
        var source: String
    }

    /// deploy/rootfs.files, read as the script reads it.
    static func listEntries() throws -> [Entry] {
        let text = try String(
            contentsOf: DeployTools.packageRoot.appendingPathComponent("deploy/rootfs.files"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 4, let mode = UInt32(fields[1], radix: 8) else { return nil }
            var path = fields[0]
            if path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            return Entry(path: path, mode: mode, owner: fields[2], source: fields[3])
        }
    }

    /// Runs scripts/rootfs.sh into `rootfs/` of the workspace and returns its path.
    static func build(in workspace: Workspace) throws -> String {
        _ = try DistBinary.path()
        let root = workspace.path("rootfs")
        let result = try DeployTools.run(["/bin/bash", "scripts/rootfs.sh", root])
        guard result.status == 0 else { throw ScriptFailed(output: result.stdoutText + result.stderr) }
        return root
    }

    /// Runs `arguments` chrooted into `root` as 65532:65532 with only `environment` (and
    /// `PATH`) set; skips the test when not root or when `chroot` is refused.
    static func chroot(
        _ root: String, _ arguments: [String], environment: [String: String] = [:], mountProc: Bool = true
    ) throws -> CommandRunner.Result {
        guard geteuid() == 0 else {
            if DeployTools.underCI {
                Issue.record("chroot needs root, and CI runs the tests as root")
            }
            try DeployTools.skip("chroot needs root (run the tests as root to run the binary in the image's root file system)")
        }
        // A container runtime mounts /proc; so does this test (the Swift runtime reads the
        // program's arguments from /proc/self/cmdline).
        let mount = try DeployTools.run(
            mountProc ? ["/usr/bin/mount", "-t", "proc", "proc", root + "/proc"] : ["/bin/true"])
        if mount.status != 0 {
            if DeployTools.underCI { Issue.record("mounting /proc in the root file system failed: \(mount.stderr)") }
            try DeployTools.skip("/proc cannot be mounted here (\(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        defer { if mountProc { _ = try? DeployTools.run(["/usr/bin/umount", root + "/proc"]) } }
        var env = environment
        env["PATH"] = "/usr/local/bin"
        let command = ["/usr/bin/env", "-i"] + env.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }
            + ["/usr/sbin/chroot", "--userspec=65532:65532", root] + arguments
        let result = try DeployTools.run(command, in: URL(fileURLWithPath: root))
        if result.status == 125, result.stderr.contains("chroot:") {
            try DeployTools.skip("chroot was refused here: \(result.stderr)")
        }
        return result
    }

    struct ScriptFailed: Error, CustomStringConvertible {
        var output: String
        var description: String { "scripts/rootfs.sh failed:\n\(output)" }
    }
}

/// Just enough of a Dockerfile reader for the checks above: instructions with their
/// continuation lines joined, comments dropped.
enum Dockerfile {
    struct Instruction {
        var keyword: String
        var arguments: String
    }

    static func instructions(_ text: String) -> [Instruction] {
        var result: [Instruction] = []
        var pending = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { continue }
            if line.hasSuffix("\\") {
                pending += String(line.dropLast()) + " "
                continue
            }
            let whole = (pending + line).trimmingCharacters(in: .whitespaces)
            pending = ""
            guard !whole.isEmpty else { continue }
            let parts = whole.split(separator: " ", maxSplits: 1)
            result.append(
                Instruction(
                    keyword: parts[0].uppercased(),
                    arguments: parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""))
        }
        return result
    }

    /// The instructions grouped by stage, each starting with its FROM.
    static func stages(_ instructions: [Instruction]) -> [[Instruction]] {
        var stages: [[Instruction]] = []
        for instruction in instructions {
            if instruction.keyword == "FROM" {
                stages.append([instruction])
            } else if !stages.isEmpty {
                stages[stages.count - 1].append(instruction)
            }
        }
        return stages
    }
}
