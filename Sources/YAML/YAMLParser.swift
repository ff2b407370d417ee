import CLibYAML

/// Parses YAML text with libyaml into a `YAMLNode` tree.
///
/// Source: libyaml's event API (`yaml_parser_parse`), <https://pyyaml.org/wiki/LibYAML>.
public enum YAMLParser {
    /// Parses exactly one YAML document.
    ///
    /// Before libyaml sees the input it is checked against `limits.maxBytes`, a leading
    /// UTF-8 byte order mark is dropped, and the bytes are validated as strict UTF-8.
    /// Scalars stay strings (no YAML 1.1 typing); aliases are expanded and merge keys
    /// (`<<`) applied while the tree is built.
    ///
    /// - Parameters:
    ///   - bytes: the file's content (UTF-8, optionally starting with a BOM).
    ///   - file: the name used in error messages.
    ///   - limits: size, depth and alias-expansion bounds.
    /// - Returns: the document's root node, or `nil` when the input holds no document
    ///   (empty, or only comments).
    /// - Throws: `YAMLError` with a position for a syntax error (libyaml's problem text and
    ///   context), a duplicate key, an undefined alias, a bad merge key, a broken limit,
    ///   more than one document, or invalid UTF-8.
    public static func parse(_ bytes: [UInt8], file: String, limits: YAMLLimits = .default) throws(YAMLError) -> YAMLNode? {
        guard bytes.count <= limits.maxBytes else {
            throw YAMLError(
                file: file, mark: nil,
                message: "the file is \(bytes.count) bytes, more than the limit of \(limits.maxBytes) bytes"
            )
        }
        let result: Result<YAMLNode?, YAMLError> = bytes.withUnsafeBufferPointer { buffer in
            var body = buffer
            if body.count >= 3, body[0] == 0xEF, body[1] == 0xBB, body[2] == 0xBF {
                body = UnsafeBufferPointer(rebasing: buffer[3...])
            }
            if let bad = UTF8Validation.firstInvalidByte(in: body) {
                let hex = String(body[bad], radix: 16, uppercase: true)
                return .failure(YAMLError(
                    file: file, mark: UTF8Validation.mark(ofByte: bad, in: body),
                    message: "the file is not valid UTF-8 (byte 0x\(hex.count == 1 ? "0" + hex : hex) is not part of a well-formed UTF-8 sequence)"
                ))
            }
            if body.isEmpty { return .success(nil) }
            do throws(YAMLError) {
                return .success(try parseEvents(body, file: file, limits: limits))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func parseEvents(_ input: UnsafeBufferPointer<UInt8>, file: String, limits: YAMLLimits) throws(YAMLError) -> YAMLNode? {
        // yaml_parser_t keeps a pointer to itself (read_handler_data), so it must not move:
        // it lives in allocated memory, not in a Swift variable.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw YAMLError(file: file, mark: nil, message: "libyaml could not allocate a parser")
        }
        defer { yaml_parser_delete(parser) }
        yaml_parser_set_input_string(parser, input.baseAddress, input.count)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)

        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        defer { event.deallocate() }
        var builder = TreeBuilder(file: file, limits: limits)
        var documents = 0
        while true {
            guard yaml_parser_parse(parser, event) == 1 else {
                throw error(of: parser.pointee, input: input, file: file)
            }
            defer { yaml_event_delete(event) }
            let mark = Mark(event.pointee.start_mark)
            switch event.pointee.type {
            case YAML_STREAM_END_EVENT:
                return builder.root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw YAMLError(
                        file: file, mark: mark,
                        message: "the file holds more than one YAML document; exactly one is expected"
                    )
                }
            case YAML_SCALAR_EVENT:
                let data = event.pointee.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
                let style = YAMLScalar.Style(data.style)
                // A plain scalar on one line is its own text, ending at the event's end mark
                // (libyaml counts columns in characters, as Mark does).
                var textMark: Mark?
                let end = event.pointee.end_mark
                if style == .plain, end.line == event.pointee.start_mark.line {
                    textMark = Mark(line: end.line + 1, column: end.column + 1 - value.unicodeScalars.count)
                }
                try builder.scalar(
                    YAMLScalar(value: value, style: style),
                    mark: mark, textMark: textMark, tag: string(data.tag), anchor: string(data.anchor)
                )
            case YAML_ALIAS_EVENT:
                try builder.alias(string(event.pointee.data.alias.anchor) ?? "", mark: mark)
            case YAML_SEQUENCE_START_EVENT:
                let data = event.pointee.data.sequence_start
                try builder.startCollection(isMapping: false, mark: mark, tag: string(data.tag), anchor: string(data.anchor))
            case YAML_MAPPING_START_EVENT:
                let data = event.pointee.data.mapping_start
                try builder.startCollection(isMapping: true, mark: mark, tag: string(data.tag), anchor: string(data.anchor))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                try builder.endCollection()
            default:
                break // stream start, document end
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    /// libyaml's problem text with its position (and its context, when it gives one).
    private static func error(of parser: yaml_parser_t, input: UnsafeBufferPointer<UInt8>, file: String) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return YAMLError(file: file, mark: nil, message: "libyaml ran out of memory")
        case YAML_READER_ERROR:
            var message = "invalid YAML input: \(problem)"
            if parser.problem_value >= 0 {
                message += " (character U+\(String(UInt32(parser.problem_value), radix: 16, uppercase: true)))"
            }
            return YAMLError(file: file, mark: UTF8Validation.mark(ofByte: parser.problem_offset, in: input), message: message)
        default:
            var message = "invalid YAML: \(problem)"
            if let context = parser.context {
                message += " (\(String(cString: context)) that starts at \(inside(Mark(parser.context_mark), input)))"
            }
            return YAMLError(file: file, mark: inside(Mark(parser.problem_mark), input), message: message)
        }
    }

    /// `mark`, or the end of the input when `mark` lies past its last line: at the end of an
    /// input without a final line break libyaml puts the stream's end on a line of its own,
    /// which an editor cannot go to. Lines end as libyaml ends them: `\n`, `\r\n`, a lone
    /// `\r`, NEL, LS and PS.
    private static func inside(_ mark: Mark, _ input: UnsafeBufferPointer<UInt8>) -> Mark {
        var lines = 1
        var column = 1
        var index = 0
        while index < input.count {
            let byte = input[index]
            var breakLength = 0
            if byte == 0x0A {
                breakLength = 1
            } else if byte == 0x0D {
                breakLength = index + 1 < input.count && input[index + 1] == 0x0A ? 2 : 1
            } else if byte == 0xC2, index + 1 < input.count, input[index + 1] == 0x85 {
                breakLength = 2
            } else if byte == 0xE2, index + 2 < input.count, input[index + 1] == 0x80,
                input[index + 2] == 0xA8 || input[index + 2] == 0xA9
            {
                breakLength = 3
            }
            if breakLength > 0 {
                lines += 1
                column = 1
                index += breakLength
                continue
            }
            if byte & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return mark.line > lines ? Mark(line: lines, column: column) : mark
    }
}

extension Mark {
    /// Converts libyaml's 0-based mark.
    init(_ mark: yaml_mark_t) {
        self.init(line: mark.line + 1, column: mark.column + 1)
    }
}

extension YAMLScalar.Style {
    init(_ style: yaml_scalar_style_t) {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: self = .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: self = .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: self = .literal
        case YAML_FOLDED_SCALAR_STYLE: self = .folded
        default: self = .plain
        }
    }
}
