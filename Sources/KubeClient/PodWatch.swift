import Foundation
import JSON

/// A stream of Pod watch events, decoded from the server's JSON lines as they arrive.
///
/// Lines are split across chunk boundaries; reading is back-pressured (libcurl pauses while a megabyte
/// waits unread). Dropping the stream ends the watch.
public struct PodWatch: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<Pod>
    let stream: ResponseStream

    public func makeAsyncIterator() -> Iterator {
        Iterator(stream: stream)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let stream: ResponseStream
        var splitter = LineSplitter()
        var ready: [[UInt8]] = []
        var readyIndex = 0
        let decoder = JSONDecoder()

        init(stream: ResponseStream) { self.stream = stream }

        public mutating func next() async throws -> WatchEvent<Pod>? {
            while true {
                if readyIndex < ready.count {
                    let line = ready[readyIndex]
                    readyIndex += 1
                    if let event = try decodeLine(line) { return event }
                    continue
                }
                ready.removeAll(keepingCapacity: true)
                readyIndex = 0
                guard let chunk = try await stream.next() else {
                    if let rest = splitter.finish(), let event = try decodeLine(rest) { return event }
                    return nil
                }
                ready = splitter.append(chunk)
            }
        }

        func decodeLine(_ line: [UInt8]) throws -> WatchEvent<Pod>? {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { return nil }
            return try PodWatch.decodeEvent(line, decoder: decoder)
        }
    }

    /// One watch line, decoded in a single pass: the type, then the object as the type says (a Pod, or the `Status`
    /// of an ERROR event).
    private struct Line: Decodable {
        var event: WatchEvent<Pod>

        enum CodingKeys: String, CodingKey { case type, object }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(WatchEventType.self, forKey: .type) {
            case .added: event = .added(try container.decode(Pod.self, forKey: .object))
            case .modified: event = .modified(try container.decode(Pod.self, forKey: .object))
            case .deleted: event = .deleted(try container.decode(Pod.self, forKey: .object))
            case .bookmark:
                let pod = try container.decode(Pod.self, forKey: .object)
                event = .bookmark(resourceVersion: pod.metadata.resourceVersion ?? "")
            case .error: event = .error(try container.decode(Status.self, forKey: .object))
            }
        }
    }

    /// Decodes one watch line.
    public static func decodeEvent(_ line: [UInt8], decoder: JSONDecoder = JSONDecoder()) throws -> WatchEvent<Pod> {
        do {
            return try decoder.decode(Line.self, from: Data(line)).event
        } catch {
            throw WatchDecodingError(message: "\(error)", line: String(decoding: line.prefix(200), as: UTF8.self))
        }
    }
}

/// A watch line that is not a valid event.
public struct WatchDecodingError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var line: String
    public var description: String { "cannot decode a watch event (\(message)): \(line)" }
}

/// Splits a byte stream into newline-terminated lines, across chunk boundaries.
public struct LineSplitter: Sendable {
    private var partial: [UInt8] = []

    public init() {}

    /// The complete lines (without their newline) that `chunk` finishes.
    public mutating func append(_ chunk: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: 0x0A) {
            if partial.isEmpty {
                lines.append(Array(chunk[start..<newline]))
            } else {
                partial.append(contentsOf: chunk[start..<newline])
                lines.append(partial)
                partial = []
            }
            start = newline + 1
        }
        partial.append(contentsOf: chunk[start...])
        return lines
    }

    /// What is left after the last newline, if anything.
    public mutating func finish() -> [UInt8]? {
        defer { partial = [] }
        return partial.isEmpty ? nil : partial
    }
}
