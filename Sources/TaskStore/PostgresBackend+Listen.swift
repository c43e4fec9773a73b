import Logging
import PostgresNIO

extension PostgresBackend {
    /// `LISTEN`s on `channel` over a connection of its own (not a pooled one: a listener holds its connection for
    /// good) and hands each notification's payload to `onNotification`, until the calling task is cancelled.
    ///
    /// Each time the listener is set up, first and after a failed connection is made again (after a pause that grows
    /// to five seconds), `onNotification` gets an empty payload: notifications sent meanwhile were missed.
    func listen(channel: String, _ onNotification: @Sendable (String) -> Void) async throws {
        var pause = Duration.milliseconds(100)
        while true {
            try Task.checkCancellation()
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: try Self.connectionConfiguration(url), id: 1, logger: logger
                )
                do {
                    try await connection.listen(on: channel) { notifications in
                        pause = .milliseconds(100)
                        onNotification("")
                        for try await notification in notifications { onNotification(notification.payload) }
                    }
                    try? await connection.close()
                } catch {
                    try? await connection.close()
                    throw error
                }
                try Task.checkCancellation()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning(
                    "Listening for task store changes failed; listening again shortly",
                    metadata: ["store.url": .string(url.displayName), "error.message": .string("\(Self.classify(error, url: url, connecting: false))")]
                )
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }
}
