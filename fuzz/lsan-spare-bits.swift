// LeakSanitizer cannot see a class reference stored as the second case of a multi-payload
// enum: Swift keeps the case in the pointer's spare high bits. Built with
// `swiftc -sanitize=address`, this reports `B` (and its array) leaked while the global
// `holder` still reaches it; `A`, the first case, is not reported. fuzz/lsan.supp cites it.
final class A { var values = [Int](repeating: 1, count: 10) }
final class B { var values = [Int](repeating: 2, count: 20) }
enum Signer { case first(A), second(B) }
final class Holder { var signers: [String: Signer] = [:] }

let holder = Holder()
holder.signers["a"] = .first(A())
holder.signers["b"] = .second(B())
print("holding \(holder.signers.count) signers")
