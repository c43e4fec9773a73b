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

    // MARK: Candidates, then claims by id

    @Test("claimCandidates lists unclaimed queued tasks (and a dead peer's) in id order without claiming them",
          arguments: StoreKind.allCases)
    func candidates(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let ids = try await submitMany(store, count: 7).map(\.id)
            _ = try await store.claim(ids: [ids[0]], controllerID: "dead")
            _ = try await store.claim(ids: [ids[1]], controllerID: "alive")
            _ = try await store.transition(id: ids[2], from: [.queued], to: .launched)
            _ = try await store.requestCancel(id: ids[3])

            #expect(try await store.claimCandidates(limit: 10).map(\.id) == [ids[4], ids[5], ids[6]])
            #expect(try await store.claimCandidates(limit: 2).map(\.id) == [ids[4], ids[5]])
            #expect(try await store.claimCandidates(limit: 0).isEmpty)
            #expect(try await store.claimCandidates(limit: 10, reclaimFrom: ["dead", "gone"]).map(\.id)
                == [ids[0], ids[4], ids[5], ids[6]])
            #expect(try await store.claimCandidates(limit: 2, reclaimFrom: ["dead"]).map(\.id) == [ids[0], ids[4]])
            let candidate = try #require(try await store.claimCandidates(limit: 1, reclaimFrom: ["dead"]).first)
            #expect(candidate == (try await store.task(id: ids[0])))

            // Listing claims nothing.
            #expect(try await store.tasks().map(\.controllerID) == ["dead", "alive", nil, nil, nil, nil, nil])
        }
    }

    @Test("claim(ids:) takes exactly the ids still queued and unclaimed (or a dead peer's)",
          arguments: StoreKind.allCases)
    func claimByIDs(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let ids = try await submitMany(store, count: 7).map(\.id)
            let first = try await store.claim(ids: [ids[1], ids[0]], controllerID: "a")
            #expect(first.map(\.id) == [ids[0], ids[1]])
            #expect(first.allSatisfy { $0.controllerID == "a" && $0.state == .queued && $0.updatedAt >= $0.queuedAt })

            _ = try await store.transition(id: ids[2], from: [.queued], to: .launched)
            _ = try await store.requestCancel(id: ids[3])
            // Claimed by another, launched, cancelled, missing: left out. Duplicates and order do not matter.
            let second = try await store.claim(
                ids: [ids[5], ids[1], ids[2], ids[3], ids[4], ids[5], ids.last! + 1_000], controllerID: "b"
            )
            #expect(second.map(\.id) == [ids[4], ids[5]])
            #expect(second.allSatisfy { $0.controllerID == "b" })
            #expect(try await store.task(id: ids[1])?.controllerID == "a")
            #expect(try await store.task(id: ids[2])?.controllerID == nil)

            #expect(try await store.claim(ids: [ids[0]], controllerID: "c").isEmpty)
            #expect(try await store.claim(ids: [ids[0], ids[6]], controllerID: "c", reclaimFrom: ["a"]).map(\.id)
                == [ids[0], ids[6]])
            #expect(try await store.task(id: ids[0])?.controllerID == "c")
            #expect(try await store.task(id: ids[1])?.controllerID == "a", "only the ids asked for move")
            #expect(try await store.claim(ids: [], controllerID: "c").isEmpty)
            #expect(try await store.claimCandidates(limit: 10).isEmpty)
        }
    }

    @Test("claim(ids:) of more ids than one statement binds claims them all", arguments: StoreKind.allCases)
    func claimManyIDs(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let count = TaskStore.idBatchSize + 30
            let values = (0..<count).map { n in "('dag', 'task-\(n)', 'run', -1, 1, '[]', '{}', 'queued', 0, 0)" }
            try await store.backend.execute(
                """
                INSERT INTO tasks (dag_id, task_id, run_id, map_index, try_number, command, env, state, queued_at,
                                   updated_at)
                VALUES \(values.joined(separator: ", "))
                """,
                []
            )
            let ids = try await store.tasks().map(\.id)
            let claimed = try await store.claim(ids: ids.reversed(), controllerID: "c")
            #expect(claimed.map(\.id) == ids)
        }
    }

    @Test("a claimer whose ids overlap a claim in progress waits for it and takes only what is left",
          arguments: StoreKind.allCases)
    func claimByIDsWaitsForOverlap(_ kind: StoreKind) async throws {
        try await withStore(kind) { first, url in
            let second = try await TaskStore.open(url, logger: quietLogger)
            let ids = try await submitMany(first, count: 5).map(\.id)
            let (claimedByHolder, claimed) = AsyncStream.makeStream(of: [Int64].self)
            async let holder: [Int64] = first.backend.transaction { db in
                let mine = try await TaskStore.claim(
                    ids: Array(ids[0...2]), controllerID: "holder", reclaimFrom: [], db
                ).map(\.id)
                claimed.yield(mine)
                #expect(try await holdUntilBlocked(db, kind), "the overlapping claim did not wait")
                return mine
            }
            var iterator = claimedByHolder.makeAsyncIterator()
            #expect(try #require(await iterator.next()) == Array(ids[0...2]))

            let late = try await second.claim(ids: Array(ids[1...4]), controllerID: "late")
            #expect(late.map(\.id) == [ids[3], ids[4]])
            #expect(try await holder == Array(ids[0...2]))
            try await second.close()
            let owners = try await first.tasks().map(\.controllerID)
            #expect(owners == ["holder", "holder", "holder", "late", "late"])
        }
    }

    @Test("controllers claiming overlapping candidates at once never share a task", arguments: StoreKind.allCases)
    func concurrentClaimsByIDs(_ kind: StoreKind) async throws {
        try await withStore(kind) { first, url in
            let total = 150
            let ids = try await submitMany(first, count: total).map(\.id)
            let second = try await TaskStore.open(url, logger: quietLogger)

            let claims = try await withThrowingTaskGroup(of: [(Int64, String)].self) { group in
                for (storeIndex, store) in [first, second].enumerated() {
                    for loop in 0..<3 {
                        let controller = "ctl-\(storeIndex)-\(loop)"
                        group.addTask {
                            var mine: [(Int64, String)] = []
                            while true {
                                // Every controller sees the same oldest candidates and picks some of them.
                                let candidates = try await store.claimCandidates(limit: 12)
                                if candidates.isEmpty { return mine }
                                let picks = candidates.map(\.id).shuffled().prefix(8)
                                let batch = try await store.claim(ids: Array(picks), controllerID: controller)
                                #expect(Set(batch.map(\.id)).isSubset(of: picks))
                                #expect(batch.map(\.id) == batch.map(\.id).sorted())
                                #expect(batch.allSatisfy { $0.controllerID == controller })
                                mine += batch.map { ($0.id, controller) }
                                try await Task.sleep(for: .milliseconds(Int.random(in: 0...3)))
                            }
                        }
                    }
                }
                return try await group.reduce(into: [(Int64, String)]()) { $0 += $1 }
            }
            try await second.close()

            let claimedIDs = claims.map(\.0)
            #expect(claimedIDs.count == total, "every task claimed exactly once")
            #expect(claimedIDs.sorted() == ids)
            let owners = Dictionary(uniqueKeysWithValues: try await first.tasks().map { ($0.id, $0.controllerID) })
            for (id, controller) in claims {
                #expect(owners[id] == controller)
            }
        }
    }
}
