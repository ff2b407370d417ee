import ArgumentParser

/// `--format` of `check` and `explain`: a report for people or for programs.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}
