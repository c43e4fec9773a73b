import Testing
@testable import TaskStore

@Suite("Claiming queued tasks")
struct ClaimTests {
    @Test("claims respect the limit, go in id order and never repeat", arguments: StoreKind.allCases)
    func limitAndOrder(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let ids = try await submitMany(store, count: 5).map(\.id)
            let first = try await store.claimQueued(limit: 2, controllerID: "ctl-a")
            #expect(first.map(\.id) == Array(ids.prefix(2)))
            #expect(first.allSatisfy { $0.controllerID == "ctl-a" && $0.state == .queued })
            #expect(first.allSatisfy { $0.updatedAt >= $0.queuedAt })

            let second = try await store.claimQueued(limit: 10, controllerID: "ctl-b")
            #expect(second.map(\.id) == Array(ids.suffix(3)))
            #expect(try await store.claimQueued(limit: 10, controllerID: "ctl-a").isEmpty)
            #expect(try await store.claimQueued(limit: 0, controllerID: "ctl-a").isEmpty)
            #expect(try await store.task(id: ids[0])?.controllerID == "ctl-a")
            #expect(try await store.task(id: ids[4])?.controllerID == "ctl-b")
        }
    }

    @Test("only queued tasks are claimed", arguments: StoreKind.allCases)
    func onlyQueued(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let ids = try await submitMany(store, count: 3).map(\.id)
            _ = try await store.transition(id: ids[0], from: [.queued], to: .launched)
            _ = try await store.requestCancel(id: ids[1])
            #expect(try await store.claimQueued(limit: 10, controllerID: "ctl").map(\.id) == [ids[2]])
        }
    }

    @Test("reclaimFrom takes over a dead controller's claims, and only those", arguments: StoreKind.allCases)
    func reclaim(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let ids = try await submitMany(store, count: 4).map(\.id)
            #expect(try await store.claimQueued(limit: 2, controllerID: "dead").map(\.id) == [ids[0], ids[1]])
            #expect(try await store.claimQueued(limit: 1, controllerID: "alive").map(\.id) == [ids[2]])

            // Without reclaimFrom only the unclaimed task is left.
            #expect(try await store.claimQueued(limit: 10, controllerID: "new").map(\.id) == [ids[3]])
            // With it, the dead controller's tasks move; "alive" keeps its own.
            let taken = try await store.claimQueued(limit: 10, controllerID: "new", reclaimFrom: ["dead", "gone"])
            #expect(taken.map(\.id) == [ids[0], ids[1]])
            #expect(taken.allSatisfy { $0.controllerID == "new" })
            #expect(try await store.task(id: ids[2])?.controllerID == "alive")
        }
    }

    @Test("releaseClaim frees a queued task of its own controller only", arguments: StoreKind.allCases)
    func release(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let ids = try await submitMany(store, count: 2).map(\.id)
            _ = try await store.claimQueued(limit: 2, controllerID: "ctl-a")

            try await store.releaseClaim(id: ids[0], controllerID: "someone-else")
            #expect(try await store.task(id: ids[0])?.controllerID == "ctl-a")

            try await store.releaseClaim(id: ids[0], controllerID: "ctl-a")
            #expect(try await store.task(id: ids[0])?.controllerID == nil)
            #expect(try await store.claimQueued(limit: 5, controllerID: "ctl-b").map(\.id) == [ids[0]])

            // A task that left queued keeps its controller.
            _ = try await store.transition(id: ids[1], from: [.queued], to: .launched)
            try await store.releaseClaim(id: ids[1], controllerID: "ctl-a")
            #expect(try await store.task(id: ids[1])?.controllerID == "ctl-a")
        }
    }

    @Test("two stores on one database claiming from many tasks at once never hand out a task twice",
          arguments: StoreKind.allCases)
    func concurrentClaimsAcrossStores(_ kind: StoreKind) async throws {
        try await withStore(kind) { first, url in
            let total = 200
            let ids = try await submitMany(first, count: total).map(\.id)
            let second = try await TaskStore.open(url, logger: quietLogger)

            let claims = try await withThrowingTaskGroup(of: [(Int64, String)].self) { group in
                for (storeIndex, store) in [first, second].enumerated() {
                    for loop in 0..<4 {
                        let controller = "ctl-\(storeIndex)-\(loop)"
                        group.addTask {
                            var mine: [(Int64, String)] = []
                            var round = 0
                            while true {
                                round += 1
                                let batch = try await store.claimQueued(limit: 1 + (round + loop) % 7,
                                                                        controllerID: controller)
                                if batch.isEmpty { return mine }
                                #expect(batch.map(\.id) == batch.map(\.id).sorted())
                                #expect(batch.allSatisfy { $0.controllerID == controller })
                                mine += batch.map { ($0.id, controller) }
                                // A controller works between claims; on SQLite the pause lets the other store's
                                // connection, polling for the write lock, get in.
                                try await Task.sleep(for: .milliseconds(Int.random(in: 1...8)))
                            }
                        }
                    }
                }
                return try await group.reduce(into: [(Int64, String)]()) { $0 += $1 }
            }
            try await second.close()

            let claimedIDs = claims.map(\.0)
            #expect(claimedIDs.count == total, "every task claimed exactly once")
            #expect(Set(claimedIDs).count == total, "no task claimed twice")
            #expect(claimedIDs.sorted() == ids)
            // The store agrees with what each claimer was told.
            let owners = Dictionary(uniqueKeysWithValues: try await first.tasks().map { ($0.id, $0.controllerID) })
            for (id, controller) in claims {
                #expect(owners[id] == controller)
            }
        }
    }
}
