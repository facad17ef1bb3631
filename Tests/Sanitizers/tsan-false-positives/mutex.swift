// ThreadSanitizer false positive: Synchronization.Mutex under contention (see ../tsan.supp).
//   swiftc -sanitize=thread -O mutex.swift -o /tmp/mutex && /tmp/mutex    -> data race reports
// The same program with a pthread_mutex_t around the array gets none. Not part of any build target.

import Synchronization
import Glibc

final class Box: @unchecked Sendable {
    let m = Mutex<[Int]>([])
}
let box = Box()
var threads: [pthread_t] = []
for _ in 0..<4 {
    var th = pthread_t()
    let ctx = Unmanaged.passRetained(box).toOpaque()
    pthread_create(&th, nil, { c in
        let b = Unmanaged<Box>.fromOpaque(c!).takeRetainedValue()
        for i in 0..<200000 {
            b.m.withLock { a in
                if a.count > 100 { a.removeAll(keepingCapacity: true) }
                a.append(i)
            }
        }
        return nil
    }, ctx)
    threads.append(th)
}
for th in threads { pthread_join(th, nil) }
print("done", box.m.withLock { $0.count })
