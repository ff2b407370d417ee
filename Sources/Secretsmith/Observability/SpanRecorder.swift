import Synchronization

/// Collects the spans a ``W3CTracer`` finishes, in memory: what tests inspect, and what
/// the CLI writes to `--trace-file` at the end of a run.
public final class SpanRecorder: Sendable {
    private let spans = Mutex<[RecordedSpan]>([])
    private let dropped = Mutex(0)
    /// The most spans kept; later ones are counted in ``droppedCount`` and discarded, so
    /// a long-running process cannot grow without bound.
    public let capacity: Int

    /// - Parameter capacity: the most spans kept (default 100 000).
    public init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    /// Every finished span so far, in the order they ended.
    public var finishedSpans: [RecordedSpan] {
        spans.withLock { $0 }
    }

    /// Spans discarded because ``capacity`` was reached.
    public var droppedCount: Int {
        dropped.withLock { $0 }
    }

    /// Returns the finished spans and forgets them.
    public func drain() -> [RecordedSpan] {
        spans.withLock { spans in
            defer { spans.removeAll() }
            return spans
        }
    }

    func record(_ span: RecordedSpan) {
        let kept = spans.withLock { spans in
            guard spans.count < capacity else { return false }
            spans.append(span)
            return true
        }
        if !kept { dropped.withLock { $0 += 1 } }
    }
}
