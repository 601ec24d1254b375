// The conformance settings give a client 200 ms to answer a ping. Classes running in parallel on a small CI
// machine (Node clients, the fuzz test) can starve each other past that, so the classes run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
