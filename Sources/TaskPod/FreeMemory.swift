#if canImport(Glibc)
/// glibc's `int malloc_trim(size_t pad)` (`<malloc.h>`, which the Glibc module does not import).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

/// Hands the memory the allocator holds free back to the system.
///
/// A burst of Pods (a list, thousands of watch events) decodes whole Pods that are dropped at once for the cached
/// view: glibc keeps the freed pages in its per-thread arenas, so the resident size stays at the burst's peak long
/// after. `malloc_trim(0)` releases every whole free page of every arena (`MADV_DONTNEED`); it costs a walk of the
/// free lists, so the controller calls it from the resync loop, every `resyncInterval`, not per event. Elsewhere than
/// glibc it does nothing.
enum FreeMemory {
    static func release() {
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
    }
}
