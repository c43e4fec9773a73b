import Logging
import TaskStore

extension Controller {
    /// Learns of the tasks other processes queue or cancel (``TaskStore/watchChanges(every:_:)``) and acts on them at
    /// once: queued tasks ring the launcher, cancel requests put their task on the work queue. The store's watch is
    /// started again a second after it fails.
    func storeChangeLoop() async {
        let launcherBell = self.launcherBell, cancelCheckBell = self.cancelCheckBell, queue = self.queue
        while !Task.isCancelled {
            do {
                try await store.watchChanges(every: configuration.changeCheckInterval) { change in
                    switch change {
                    case .queued:
                        launcherBell.ring()
                    case .cancelRequested(let id):
                        queue.add(id)
                    case .unknown:
                        launcherBell.ring()
                        cancelCheckBell.ring()
                    }
                }
                return
            } catch is CancellationError {
                return
            } catch {
                logger.warning("cannot watch the task store for changes; the launcher polls meanwhile", metadata: [
                    "error": "\(error)",
                ])
            }
            do {
                try await Task.sleep(for: .seconds(1))
            } catch {
                return
            }
        }
    }

    /// Looks for cancel requests when the store changed in a way it cannot name (another process wrote to a SQLite
    /// store), and reconciles those tasks at once rather than at the next resync.
    func cancelCheckLoop() async {
        while !Task.isCancelled {
            await cancelCheckBell.wait()
            if Task.isCancelled { return }
            do {
                for id in try await store.pendingCancels(controllerID: configuration.controllerID) { queue.add(id) }
            } catch {
                logger.debug("cannot look for cancel requests; the resync will find them", metadata: ["error": "\(error)"])
            }
        }
    }
}
