// The libFuzzer executable of the `oauth-response` target (`make fuzz`); the checks live in
// SecretsmithFuzzing (FuzzTarget.oauthResponse), which the corpus replay test runs too.
#if canImport(Glibc)
import Glibc
#endif
import CLibFuzzer
import SecretsmithFuzzing

var arguments = CommandLine.argc
var argumentVector: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&arguments, &argumentVector) { data, size in
    FuzzTarget.oauthResponse.fuzz(data, size)
})
