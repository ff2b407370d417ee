extension RenderPlan {
    /// What the writer would refuse before staging, for every planned output, checked
    /// without writing (``AtomicFileWriter/checkDestination(_:options:)``): an existing
    /// destination that is a directory, a device or a refused link, a parent that does not
    /// resolve to a directory (a dangling link, a loop) or cannot be created, an `owner` or
    /// `group` that does not resolve. Used by `check --access` and by `render` before it
    /// fetches anything, so both refuse the same destinations.
    ///
    /// - Parameter configuration: the configuration the plan was made from (modes, file).
    /// - Returns: One problem per output that cannot be written (exit 73, or 65 for a mode),
    ///   located at the output; empty when every destination is usable.
    package func destinationProblems(configuration: Configuration) -> [RenderProblem] {
        let writer = AtomicFileWriter()
        var problems: [RenderProblem] = []
        for planned in outputs {
            let output = planned.output
            let options = WriteOptions(
                mode: configuration.fileMode(for: output, activeEnvironment: planned.environment).rawValue,
                followSymlinks: output.followSymlinks, createDirectories: output.createDirectories,
                owner: output.owner, group: output.group, allowWorldReadable: output.allowWorldReadable,
                atomicDirectory: output.atomicDirectory)
            do throws(OutputWriteError) {
                try writer.checkDestination(output.path, options: options)
            } catch {
                let site = ReferenceSite(file: configuration.file, mark: output.mark, output: output.name, key: nil)
                problems.append(RenderProblem(site: site, reference: nil, error: error))
            }
        }
        return problems
    }
}
