// Foundation loaded and used once (JSONEncoder), then idle: what any Swift program that imports Foundation costs.
import Foundation

let encoder = JSONEncoder()
encoder.outputFormatting = .sortedKeys
let data = try encoder.encode(["hello": "world"])
print(String(decoding: data, as: UTF8.self))
print("READY pid=\(getpid())")
fflush(nil)
while true { sleep(3_600) }
