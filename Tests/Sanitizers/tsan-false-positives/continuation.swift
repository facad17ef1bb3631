// ThreadSanitizer false positive: a continuation resumed from a thread of our own, the task then running on
// a Dispatch thread (see ../tsan.supp). Every hand-over is under a pthread_mutex_t, which TSan sees.
//   swiftc -sanitize=thread continuation.swift -o /tmp/continuation && /tmp/continuation   -> 1 data race report
// Not part of any build target.

import Glibc

// A thread that resumes continuations handed to it through a pthread mutex (TSan-visible).
final class Engine: @unchecked Sendable {
    var lock = pthread_mutex_t()
    var cond = pthread_cond_t()
    var pending: [UnsafeContinuation<Int, Never>] = []
    init() { pthread_mutex_init(&lock, nil); pthread_cond_init(&cond, nil) }
    func submit(_ c: UnsafeContinuation<Int, Never>) {
        pthread_mutex_lock(&lock); pending.append(c); pthread_cond_signal(&cond); pthread_mutex_unlock(&lock)
    }
    func loop() {
        while true {
            pthread_mutex_lock(&lock)
            while pending.isEmpty { pthread_cond_wait(&cond, &lock) }
            let batch = pending; pending.removeAll()
            pthread_mutex_unlock(&lock)
            for c in batch { c.resume(returning: 1) }
        }
    }
}
let engine = Engine()
var thread = pthread_t()
pthread_create(&thread, nil, { ctx in Unmanaged<Engine>.fromOpaque(ctx!).takeUnretainedValue().loop(); return nil },
               Unmanaged.passUnretained(engine).toOpaque())

func query() async -> Int { await withUnsafeContinuation { engine.submit($0) } }

let total = await withTaskGroup(of: Int.self) { group in
    for _ in 0 ..< 64 {
        group.addTask { var s = 0; for _ in 0 ..< 500 { s += await query() }; return s }
    }
    var sum = 0
    for await s in group { sum += s }
    return sum
}
print("total", total)
