import YAML

extension ConfigurationDecoder {
    /// The keys of `watch:` (in `defaults:` and environments).
    static let watchKeys = [
        "subscription", "poll_interval", "poll_jitter", "check_pinned", "debounce", "splay", "child",
    ]
    /// The keys of `watch.child:`.
    static let watchChildKeys = ["on_change", "signal", "stop_signal", "grace_period"]

    /// `watch:` — see ``WatchSettings`` for the keys and their defaults.
    /// Sets the keys the node holds on `watch`, leaving the others as they are.
    func watch(_ node: YAMLNode, at path: ConfigPath, into watch: inout WatchLayerSettings) throws(ConfigurationError) {
        let fields = try self.fields(node, at: path, allowed: Self.watchKeys)
        if let node = fields["subscription"] {
            let text = try nonEmptyString(node, at: path.key("subscription"))
            if text == "off" {
                watch.subscription = .some(nil)
            } else {
                guard Self.isValidSubscription(text) else {
                    throw failure(
                        "\(ConfigurationRules.quoted(text)) is not a Pub/Sub subscription name: expected projects/PROJECT/subscriptions/NAME, NAME 3 to 255 characters starting with a letter (letters, digits, -_.~+%), not starting with goog",
                        at: node, path: path.key("subscription"),
                        hint: "Write the full name, such as projects/acme-ops/subscriptions/secretsmith, or off.")
                }
                watch.subscription = .some(text)
            }
        }
        if let node = fields["poll_interval"] {
            let text = try nonEmptyString(node, at: path.key("poll_interval"))
            if text == "off" || text == "0" {
                watch.pollInterval = .some(nil)
            } else {
                let interval = try duration(node, at: path.key("poll_interval"))
                watch.pollInterval = .some(interval)
            }
        }
        if let node = fields["poll_jitter"] {
            watch.pollJitter = try duration(node, at: path.key("poll_jitter"))
        }
        if let node = fields["check_pinned"] {
            watch.checkPinned = try bool(node, at: path.key("check_pinned"))
        }
        if let node = fields["debounce"] {
            watch.debounce = try duration(node, at: path.key("debounce"))
        }
        if let node = fields["splay"] {
            watch.splay = try duration(node, at: path.key("splay"))
        }
        if let node = fields["child"] {
            let childPath = path.key("child")
            let child = try self.fields(node, at: childPath, allowed: Self.watchChildKeys)
            if let node = child["on_change"] {
                let text = try nonEmptyString(node, at: childPath.key("on_change"))
                guard let reaction = WatchSettings.ChildReaction(rawValue: text) else {
                    let names = WatchSettings.ChildReaction.allCases.map(\.rawValue)
                    throw failure(
                        "\(ConfigurationRules.quoted(text)) is not a child reaction", at: node, path: childPath.key("on_change"),
                        hint: Suggestions.hint(for: text, among: names) ?? "Write \(names.joined(separator: ", "))."
                    )
                }
                watch.childOnChange = reaction
            }
            if let node = child["signal"] {
                watch.childSignal = try signal(node, at: childPath.key("signal"))
            }
            if let node = child["stop_signal"] {
                watch.childStopSignal = try signal(node, at: childPath.key("stop_signal"))
            }
            if let node = child["grace_period"] {
                watch.childGracePeriod = try duration(node, at: childPath.key("grace_period"))
            }
        }
    }

    /// A signal name: `SIGHUP`, `HUP` (any case).
    func signal(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> Int32 {
        let text = try nonEmptyString(node, at: path)
        guard let number = WatchSettings.signalNumber(named: text) else {
            throw failure(
                "\(ConfigurationRules.quoted(text)) is not a signal name secretsmith sends", at: node, path: path,
                hint: "Write one of \(WatchSettings.signals.map(\.name).joined(separator: ", ")).")
        }
        return number
    }

    /// `on_change:` of an output: `command` (a non-empty sequence of strings) and `timeout`.
    func changeCommand(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> OutputChangeCommand {
        guard node.sequence == nil, node.scalar == nil else {
            throw failure(
                "expected a mapping with command (and optionally timeout), found \(node.kindDescription)",
                at: node, path: path,
                hint: "Write on_change: {command: [systemctl, reload, nginx], timeout: 30s}; the command is not run by a shell.")
        }
        let fields = try self.fields(node, at: path, allowed: ["command", "timeout"])
        guard let commandNode = fields["command"] else {
            throw failure(
                "on_change needs \"command\"", at: node, path: path.key("command"),
                hint: "Write command: [program, argument, ...], as a list, not a shell string.")
        }
        guard let elements = commandNode.sequence else {
            throw failure(
                "command must be a list of the program and its arguments, found \(commandNode.kindDescription)",
                at: commandNode, path: path.key("command"),
                hint: "Write command: [systemctl, reload, nginx]; it is not run by a shell.")
        }
        guard !elements.isEmpty else {
            throw failure("command is empty; name at least the program", at: commandNode, path: path.key("command"))
        }
        var argv: [String] = []
        for (index, element) in elements.enumerated() {
            let argument = try string(element, at: path.key("command").index(index))
            guard !argument.utf8.contains(0) else {
                throw failure("an argument must not contain a NUL byte", at: element, path: path.key("command").index(index))
            }
            argv.append(argument)
        }
        guard !argv[0].isEmpty else {
            throw failure("the program name is empty", at: elements[0], path: path.key("command").index(0))
        }
        let timeout = try fields["timeout"].map { node throws(ConfigurationError) in
            try duration(node, at: path.key("timeout"), minimum: .milliseconds(1))
        } ?? .seconds(30)
        return OutputChangeCommand(argv: argv, timeout: timeout)
    }

    /// `projects/P/subscriptions/S` as Pub/Sub accepts it: P a project id or number, and S
    /// 3 to 255 characters, starting with a letter, of letters, digits and `-_.~+%`, not
    /// starting with `goog` (Google's resource name rules for Pub/Sub,
    /// <https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names>).
    static func isValidSubscription(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "projects", parts[2] == "subscriptions" else { return false }
        func allowed(_ part: Substring) -> Bool {
            !part.isEmpty
                && part.unicodeScalars.allSatisfy {
                    ($0.value < 0x80 && (Character($0).isLetter || Character($0).isNumber)) || "-_.~+%".unicodeScalars.contains($0)
                }
        }
        let id = parts[3]
        guard allowed(parts[1]), allowed(id), (3...255).contains(id.count),
            let first = id.unicodeScalars.first, first.value < 0x80, Character(first).isLetter,
            !id.lowercased().hasPrefix("goog")
        else { return false }
        return true
    }
}
